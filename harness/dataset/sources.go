package dataset

// lareqaCommit is the commit of github.com/google-research-datasets/lareqa
// the XQuAD-R files are pinned to.
const lareqaCommit = "9bc8c7fb6dd8d01d72a05a93c2cb96882b0d299c"

// xquadRSHA256 holds the sha256 of each XQuAD-R file as served (plain JSON).
var xquadRSHA256 = map[string]string{
	"ar": "c52922d3b8ac1ae03ed5ac38647ad59870dca3dda2beefe18ecdc30729acb69d",
	"de": "16fb0f4bf4916154b585a20c24c66074591c9718a1affe764ff4697572328949",
	"el": "163fd43ee785a30eb534ae2061e9eaa766a7ee4e8ffce5e4b422480c150f64b6",
	"en": "7b0954f39297c27a31fef610f0883337dd2907fa8699151dc922afdd0fa12ffe",
	"es": "f8e836b2d91009c4363e04315f7ede363eedbbb49c67dda60de6c4aa782f58de",
	"hi": "ea45ba8ae4513d1533b222bebdc02a90bc319c055d3aeea68584a053d2e92872",
	"ru": "7f4dff853538b9a5fcc28c070b8bb983a5c5d190ac747b8e005a1ada9cab18f1",
	"th": "c3a041864c3a9fb0b4dd91cfdf99cf36b411b3e704c58a303c97bc6dc786cfe4",
	"tr": "f3e8c13002bbce154a4578f535f7533cb70f3da08840e6b62735935baec7bd94",
	"vi": "e35926bf5cc6fc6ecbdfca49467aabeb454f08d152d7818143a906bd31dde995",
	"zh": "80c2cde7b9c2fb134c303cbb52f2ba396ead9eb0014aec43993543d2ba9e93ed",
}

// XQuADRLanguages are the eleven languages of XQuAD-R, in file order.
var XQuADRLanguages = []string{"ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh"}

// mlqaRCommit is the lareqa commit that still holds MLQA-R (the next one
// removed the folder).
const mlqaRCommit = "354d67d1cd066854cdfbf5ad0e6105528976141d"

// mlqaRSHA256 holds the sha256 of each MLQA-R file as served (plain JSON).
var mlqaRSHA256 = map[string]string{
	"ar": "2132fbc03208535c0fe01f2e2c5121d06f9c2aa799af93b0a719dbc105bdf137",
	"de": "ce9454dc5aa6f2d85c23cd6e49cb367fbb7c4c6e62d7f71e355c6b5dae4d0886",
	"en": "fedd9a5cc0848dda80caf84aa36f482adaae230526a3f6e9e86926a93ef3b1e4",
	"es": "70ecba276b8c96a692b120693a595d076ce94ad21d4b28311538a9fcbfe0f9d7",
	"hi": "4dd0fb3c06f737a5481d705bc1dcac7876712a5815c9265908fbb3a0696cb654",
	"vi": "9d3baff6ba03e6793b25594217265ea59a136b9733833dca8a9582a84a78ff85",
	"zh": "57f01d2fff50cf3392805635b01445339f225ad5bf28ba8443b12f8dbd1e69dc",
}

// MLQARLanguages are the seven languages of MLQA-R, in file order.
var MLQARLanguages = []string{"ar", "de", "en", "es", "hi", "vi", "zh"}

// CanonicalSources maps data-directory paths to their canonical downloads.
func CanonicalSources() map[string]Source {
	out := map[string]Source{}
	for lang, sum := range xquadRSHA256 {
		out["xquad-r/"+lang+".json"] = Source{
			URL:    "https://raw.githubusercontent.com/google-research-datasets/lareqa/" + lareqaCommit + "/xquad-r/" + lang + ".json",
			SHA256: sum,
		}
	}
	for lang, sum := range mlqaRSHA256 {
		out["mlqa-r/"+lang+".json"] = Source{
			URL:    "https://raw.githubusercontent.com/google-research-datasets/lareqa/" + mlqaRCommit + "/mlqa-r/" + lang + ".json",
			SHA256: sum,
		}
	}
	return out
}
