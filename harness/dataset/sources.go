package dataset

import "github.com/xlbench/xlbench/harness/lang"

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
var XQuADRLanguages = lang.XQuADR

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

// Parallel-sentence sources, pinned to commits; sha256 of each file as
// served (the data directory may hold it gzipped).
const (
	ntrexCommit   = "8561f6a622db9edad1217683e5c83daefd8bb2bf"
	tatoebaCommit = "74bc6ae7ffb7cba670fe0f428d0ede9f666fb821"
	// XNLI dev/test split per language as XTREME's download script writes
	// it, from a repository that commits those files.
	xnliCommit = "68f82e29e71a4e425069ff398a61387c24c0f30d"
)

var ntrexSHA256 = map[string]string{
	"newstest2019-ref.arb.txt":    "d271c8645933421f760eba8ed8cc1ceaaa052f917d9c2839b8abb27e0ded71e6",
	"newstest2019-ref.deu.txt":    "259d7406a07b63e6b5b9c4a22fb76b85e2578a3fa0a4e541a50f4f7348e5c1b2",
	"newstest2019-ref.ell.txt":    "cd9c8eda1b54f4b504b33769db7e56e26ba9ae768a64e13e0eef02a9ee9867fc",
	"newstest2019-ref.hin.txt":    "10d612b3960dc1f90d297aff7e3c6d39e6eb7221b912cef0c053d9f510e41bbc",
	"newstest2019-ref.rus.txt":    "a7e3601298b0368659a5c006c52809cf6792e02eb94bde9b9693333278d85732",
	"newstest2019-ref.spa.txt":    "0ad8129e5ce0bea86ba7e0ea0db0504d6626b8a4d2a7cf4c44b7791c70e99b84",
	"newstest2019-ref.tha.txt":    "45a57c4f9fdbae282eb2c94821535ae3c88b09186a23c5506eb0907ba429d6a5",
	"newstest2019-ref.tur.txt":    "bd0c3978cb7d283ee5f8834d90a32fe2ffd0c71e4b133c677cff259d07a70ea9",
	"newstest2019-ref.vie.txt":    "dd5d16cf246da57f5ccb7490ae13b8df428e7cb53e17fa04552406d657abfe3c",
	"newstest2019-ref.zho-CN.txt": "8bcd6f0868d33f26c8da12f55a82f66088a7b60a5f7b0b1a99dcec51daa8054a",
	"newstest2019-src.eng.txt":    "389e8f5796c66db4f646dfad33e1ec622d74767af5ef112b42a1f2cd814df3cc",
}

var tatoebaSHA256 = map[string]string{
	"tatoeba.ara-eng.ara": "e67a0ae072b79cd9e8eb09f166c3bc0b23488d39f5720f2ee0a8350ae17b719f",
	"tatoeba.ara-eng.eng": "3c11838c963f598a52dcf2f452b666353538257001db5c59c3a5f54a999b336b",
	"tatoeba.cmn-eng.cmn": "965d033966fcd186c89741ad49ab4b0a0b2bbd33e02666635ff3b2be23c1ac1f",
	"tatoeba.cmn-eng.eng": "29ba36232488f5806aceccac57c59c5e750ddd08edb40eef417e3ada9ff9a239",
	"tatoeba.deu-eng.deu": "edfa6f75a42554df388f45891735d5e4214158a99def4b73b5908af4a3054551",
	"tatoeba.deu-eng.eng": "eb9cc83a42f2c4b22f310d05311207e41abb56c2a084666cac3ee0f84d2d0b84",
	"tatoeba.ell-eng.ell": "4fb3d3d30bdafd15100dfad5c4680f8f2ed5ca87ed0a6122e2fe2aa21fee65e8",
	"tatoeba.ell-eng.eng": "1f630710e718e2f85a4e757d3c7f3d6e78ded0b25c99653b4c552138318d9ffe",
	"tatoeba.hin-eng.eng": "adfce2269a55dbac69b25c0f4f6eb89e0f9383165485925a2e042e61b9480562",
	"tatoeba.hin-eng.hin": "15e4fb0a394be4438319f1d6955d1aea226e2a8c5ad38798b23b76ae43d742ed",
	"tatoeba.rus-eng.eng": "7b26f52d6085b7c4944d6f5f6f5b6e1932085b42112f1444db515ce59e878fb8",
	"tatoeba.rus-eng.rus": "446ff2cae66053c2277d9735b2c2df6b786cae258385f7ade7bed68d8835c6a0",
	"tatoeba.spa-eng.eng": "89e4470f4572040b1ca94b3edad97dcd8bd2f0141f072e12933b8659dadf917d",
	"tatoeba.spa-eng.spa": "f9628cea40481e8251f0999718bd893cff0f261752f5e526b3bc20284e2ca018",
	"tatoeba.tha-eng.eng": "2881c82d2c5fa59cf0a68bc9e012f5e0b0a716f7357cbecf77c247efc2fd7294",
	"tatoeba.tha-eng.tha": "65c7b3c01a56a1ac8971e72e0ea8e74a027718dc84044d8802c0ab36395a3156",
	"tatoeba.tur-eng.eng": "a768df7dd3d1344f872a458b32c3a65e24f8381826ccb16ba6677426176c8121",
	"tatoeba.tur-eng.tur": "1ffa0acc006018b3105abda41a4d4ca42f3c122964a49b71793546367b079a86",
	"tatoeba.vie-eng.eng": "a1f60bd8ae6c42224a4c050d2aa1ff4242d14827d64d7831e96ecf2b2c367f5f",
	"tatoeba.vie-eng.vie": "6dbb02d778b0bfc8678cd85f87db76de55dd7e409a26fe32ad42d50e0f1fff77",
}

var xnliSHA256 = map[string]string{
	"dev-ar.tsv":  "472ad1b14b8882b982171ecb875b811b4bcec90f03b5c31f634bc85b65295b63",
	"dev-de.tsv":  "5a5ad525225418a96a82c595a83a93e2e3a852af01e92de92f925a61f82d8cbd",
	"dev-el.tsv":  "c1892ec69752a9b335bd2b4287708ee7745521f7c8e88672e458ee30f3b4b57e",
	"dev-en.tsv":  "d3899b7562dbba9418124a9a5fcd01bb78816bf724e8f301af15c6845a338c88",
	"dev-es.tsv":  "0fd4fe222b7e5128eec8a0c6953325673c9cf29f8fe22c77905332323d65f06c",
	"dev-hi.tsv":  "2a7a1a7083c518bbad61d7c5b9a369645ba73f3b97996ac38c210e831d741b02",
	"dev-ru.tsv":  "5bd27b99f24f9c5e87d7428e3bcc14f765b89166a23686f36b6ae9735450eaf3",
	"dev-th.tsv":  "032ecbb4efeecd5d0ce3f06e96ecd73bfda51c0cccbe032b6f184699c2ff49bb",
	"dev-tr.tsv":  "1c6d71da6947a02b060f94d52d1886b189a429a536a20a44004161b6c9f066a7",
	"dev-vi.tsv":  "566a16e1fcdebd2fa1a97563c3b1a8e86d21b3fd5863742b2b287bb000fa9198",
	"dev-zh.tsv":  "1fc62e08fea927012d639006e3efc893e17cae2439776d9f51fcd9c41dc383e6",
	"test-ar.tsv": "e32196a8e7eb059e9bdf50ed6a19476401b8e56eecd489d78135dcf251a5dc15",
	"test-de.tsv": "8169a0ef73b0c7d3a44a8b24114d16611a21af834c9296d93ed70ec6ce640b07",
	"test-el.tsv": "c059c1237114d64f12b63001d00ae1b4ce3590d6537f78c1c40d2db8a6dc40c5",
	"test-en.tsv": "6a208763f76af892ae0ed138ee117506dfe4847829a07d9464ac519c4a05a809",
	"test-es.tsv": "c957ee19a1ac6f8c85fb7f1b7276fcc4437e45ed7e5decbd8c8f5f29ff674bb6",
	"test-hi.tsv": "f4b4998395b8202f014870269df724e301aefaa64969a5d01e394c55a52ae364",
	"test-ru.tsv": "fc478bc0a76ebe0c2925036c5da05b1a1c1423612cbc4fdf3ba9c7a338860458",
	"test-th.tsv": "bebbc292e62eb62cdf8ea04f7ec47c75b101e9a5f5ce61cc8d8fb3bd2e1b7448",
	"test-tr.tsv": "4811a228957608a9e1014aa6fcff407b2feb0ca10605e256b453078a55fb94c5",
	"test-vi.tsv": "8c94581ac41cd84913eed8aecd4b6c0f95cbeaa87082130e7e24d4a339e1f80f",
	"test-zh.tsv": "ef67b4fb2a050d0d079454e5a6249e7b81c7101dcd39cf5410c652c4fcb60e41",
}

// floresCommit is the commit of github.com/Helsinki-NLP/OPUS-MT-testsets
// that holds FLORES-200's devtest files as plain text (CC BY-SA 4.0).
const floresCommit = "ac0f19c0be3cb4e0d9450fcb2d7a9847c4bdd180"

// floresSHA256 holds the sha256 of each FLORES-200 devtest file as served.
var floresSHA256 = map[string]string{
	"arb_Arab.devtest": "ff09a52e63884e9b5bb1083780b58f37d3d14acb0c58c6b1f1f2544ecea12ff8",
	"deu_Latn.devtest": "9a1bfa90d153fedb7ff80047f4a63d493998888eddb056e8a28e24592f26e5f2",
	"ell_Grek.devtest": "6c36930cb4c2dff02ab1853852cd71e33e43beed8058e6f0c3395069b816be00",
	"eng_Latn.devtest": "612e9fbe87997617c0fa8fa8929654a4f49b728d96738112c2b86ef6a1d78d88",
	"hin_Deva.devtest": "5f5fd39acadca29fb044a0398e81869e48f37de979df086f2fad4a7d1fd2d015",
	"rus_Cyrl.devtest": "cdc706ed862d1d35d8d67cfda0b396766646885434958b18291aa760ff1bb59e",
	"spa_Latn.devtest": "40fcb836b49b0a461a14c00b8bce1f03113f8d2668132af424e74b2421d18ce9",
	"tha_Thai.devtest": "d9bed1bf963821eab20051b18674950f345b67b0d0925290eaa6836eb06e76ca",
	"tur_Latn.devtest": "c0fe28cee25f77fbe8471bcd3c87d26c7a284f4f0420f4293c9ce004b9bef8f2",
	"vie_Latn.devtest": "86b70984f053cae5f5d554bc9e9d00397773b8325bed7e12e7695c2e61897cb0",
	"zho_Hans.devtest": "b30158b1b76f7cee08530d8127a9769f4512597c7eefe97ae1ccf630d5b6e7fd",
}

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
	for f, sum := range ntrexSHA256 {
		out["ntrex-128/"+f] = Source{URL: "https://raw.githubusercontent.com/MicrosoftTranslator/NTREX/" + ntrexCommit + "/NTREX-128/" + f, SHA256: sum}
	}
	for f, sum := range tatoebaSHA256 {
		out["tatoeba/"+f] = Source{URL: "https://raw.githubusercontent.com/facebookresearch/LASER/" + tatoebaCommit + "/data/tatoeba/v1/" + f, SHA256: sum}
	}
	for f, sum := range floresSHA256 {
		out["flores200-devtest/"+f] = Source{URL: "https://raw.githubusercontent.com/Helsinki-NLP/OPUS-MT-testsets/" + floresCommit + "/datasets/facebook/flores/flores200_dataset/devtest/" + f, SHA256: sum}
	}
	for f, sum := range xnliSHA256 {
		out["xnli/"+f] = Source{URL: "https://raw.githubusercontent.com/GautamGupta17/MESH/" + xnliCommit + "/data/xnli/" + f, SHA256: sum}
	}
	return out
}
