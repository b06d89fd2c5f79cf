package leaderboard

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strconv"
)

// JSON is the board as data: every section's table (title, header, rows
// with each cell's text and sort value, notes, provenance), as the page
// draws them.
func JSON(b *Board) (string, error) {
	tables := make([]Table, len(b.Sections))
	for i, s := range b.Sections {
		tables[i] = s.Table()
	}
	out, err := json.MarshalIndent(struct {
		Question string   `json:"question"`
		Sources  []string `json:"sources"`
		Refused  []string `json:"refused"`
		Tables   []Table  `json:"tables"`
	}{Question, b.Sources, b.Refused, tables}, "", " ")
	return string(out) + "\n", err
}

// CSV is the board as one long table: a line per section, entry and
// column, with the cell as shown and its number (empty where none).
func CSV(b *Board) (string, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"dataset", "family", "entry", "column", "text", "value"})
	for _, s := range b.Sections {
		t := s.Table()
		for _, row := range t.Rows {
			entry := row[1].Text
			for c, cell := range row {
				v := ""
				if cell.Sort != nil {
					v = strconv.FormatFloat(*cell.Sort, 'g', -1, 64)
				}
				w.Write([]string{s.Dataset, s.Family, entry, t.Header[c], cell.Text, v})
			}
		}
	}
	w.Flush()
	return buf.String(), w.Error()
}
