package transport

import (
	"context"
	"net"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/xlbench/xlbench/plugins/internal/pb/xlbenchv1"

	"github.com/xlbench/xlbench/plugins"
)

// countingEncoder answers each step with the number of steps so far.
type countingEncoder struct {
	plugins.Encoder // only TrainStep is called
	steps           int
}

func (c *countingEncoder) TrainStep(context.Context, plugins.TrainStepRequest) (plugins.TrainStepResult, error) {
	c.steps++
	return plugins.TrainStepResult{Loss: float64(c.steps)}, nil
}

// TestTrainStepsAnswersALockStepHost: the server holds its answers only
// while batches are waiting, so a host that sends one batch and waits for
// its answer before the next is answered every time (no deadlock).
func TestTrainStepsAnswersALockStepHost(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s")
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	pb.RegisterEncoderServer(srv, &encoderServer{impl: &countingEncoder{}, langs: []string{"en"}})
	go srv.Serve(lis)
	defer srv.Stop()
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stream, err := pb.NewEncoderClient(conn).TrainSteps(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		if err := stream.Send(&pb.Batch{Group: []uint32{1}, QueryLang: []uint32{0}, PassageLang: []uint32{0}}); err != nil {
			t.Fatal(err)
		}
		resp, err := stream.Recv()
		if err != nil || resp.GetLoss() != float64(i) {
			t.Fatalf("step %d: answer %v, %v", i, resp, err)
		}
	}
	stream.CloseSend()
	if _, err := stream.Recv(); err == nil {
		t.Error("an answer after the last batch")
	}
}
