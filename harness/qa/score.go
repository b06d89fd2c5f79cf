package qa

import "slices"

// ExactMatch is 1 when prediction and gold normalise to the same string.
func ExactMatch(prediction, gold, lang string) float64 {
	if Normalize(prediction, lang) == Normalize(gold, lang) {
		return 1
	}
	return 0
}

// F1 is the token-bag F1 of prediction against gold.
func F1(prediction, gold, lang string) float64 {
	return tokenF1(Tokens(prediction, lang), Tokens(gold, lang))
}

func tokenF1(pred, gold []string) float64 {
	counts := map[string]int{}
	for _, t := range gold {
		counts[t]++
	}
	same := 0
	for _, t := range pred {
		if counts[t] > 0 {
			counts[t]--
			same++
		}
	}
	if same == 0 {
		return 0
	}
	p, r := float64(same)/float64(len(pred)), float64(same)/float64(len(gold))
	return 2 * p * r / (p + r)
}

// Best returns the best EM and the best F1 of prediction over the gold
// answers (each maximised on its own, as the official scripts do); no gold
// answer scores 0.
func Best(prediction string, golds []string, lang string) (em, f1 float64) {
	gt := make([][]string, len(golds))
	for i, g := range golds {
		gt[i] = Tokens(g, lang)
	}
	return BestTokens(Tokens(prediction, lang), gt)
}

// BestTokens is Best on tokens already normalised (Tokens): for scoring
// many predictions against gold answers tokenised once.
func BestTokens(prediction []string, golds [][]string) (em, f1 float64) {
	pn := joinTokens(prediction)
	for _, gt := range golds {
		if pn == joinTokens(gt) {
			em = 1
		}
		f1 = max(f1, tokenF1(prediction, gt))
	}
	return em, f1
}

func joinTokens(ts []string) string {
	n := 0
	for _, t := range ts {
		n += len(t) + 1
	}
	b := make([]byte, 0, n)
	for i, t := range ts {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, t...)
	}
	return string(b)
}

// HasAnswer says whether text contains one of the gold answers: the
// answer's normalised tokens as a contiguous run of the text's normalised
// tokens (the has-answer test of dense passage retrieval, with this
// package's normalisation). An answer that normalises to nothing never
// matches.
func HasAnswer(text string, golds []string, lang string) bool {
	gt := make([][]string, len(golds))
	for i, g := range golds {
		gt[i] = Tokens(g, lang)
	}
	return ContainsAnswer(Tokens(text, lang), gt)
}

// ContainsAnswer is HasAnswer on tokens already normalised: whether one of
// golds is a contiguous run of text.
func ContainsAnswer(text []string, golds [][]string) bool {
	for _, gt := range golds {
		if len(gt) == 0 || len(gt) > len(text) {
			continue
		}
		for i := 0; i+len(gt) <= len(text); i++ {
			if slices.Equal(text[i:i+len(gt)], gt) {
				return true
			}
		}
	}
	return false
}
