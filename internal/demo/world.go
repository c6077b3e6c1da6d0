package demo

// The demo world: who is in it, what they sell and what they post. Every
// name here is a natural key the seeder looks up before it creates
// anything (a handle, a shop name, a product title within its shop, a
// video caption of its creator), which is what makes seeding idempotent.

// Password is the password of every demo account, documented in the README.
const Password = "reelmart-demo"

// EmailDomain is the domain of the demo accounts' emails (reserved for
// testing by RFC 2606, so no mail ever leaves).
const EmailDomain = "demo.reelmart.test"

// Shopper is the handle of the demo buyer, who follows, likes, comments and orders.
const Shopper = "demo.shopper"

type creator struct {
	Handle, Name, Bio string
	Color             [3]byte // avatar background
	Shop              *shop
}

type shop struct {
	Name, Description string
	Products          []product
}

// product is a product with one SKU per combination of its options, each
// with Stock units. Options are SKU attributes such as size and color;
// Prices, when set, gives each value of the first option its own price.
type product struct {
	Title, Description string
	Commission         int   // basis points of the price paid to the creator whose video sold it
	Price              int64 // minor units
	Prices             []int64
	Options            []option
	Stock              int
	Art                art
}

type option struct {
	Name   string
	Values []string
}

// art is how a product's pictures are drawn: a shape on a gradient in the
// palette's colours; one picture per color option value when there is one.
type art struct {
	Shape   string
	Palette [3][3]byte
}

type video struct {
	Creator  string
	Caption  string
	Hashtags []string
	Look     string // a transcode.Looks pattern
	Palette  [3][3]byte
	Notes    []float64
	Pins     []pin
	Small    bool // 360×640 and short: published first, ready fastest
}

// pin names a product by its shop and title, shown from StartMS to EndMS
// (both 0: the whole video).
type pin struct {
	Shop, Title    string
	StartMS, EndMS int64
}

// Musical scales for the clips' melodies (Hz).
var (
	cMajor = []float64{261.63, 329.63, 392.00, 523.25, 392.00, 329.63}
	aMinor = []float64{220.00, 261.63, 329.63, 440.00, 329.63, 261.63}
	gPenta = []float64{392.00, 440.00, 493.88, 587.33, 659.25, 587.33}
	dDoria = []float64{293.66, 349.23, 440.00, 493.88, 440.00, 349.23}
	fLydia = []float64{349.23, 440.00, 493.88, 523.25, 587.33, 523.25}
)

var (
	sizesTee   = option{"size", []string{"S", "M", "L", "XL"}}
	warm       = [3][3]byte{{196, 62, 38}, {245, 166, 35}, {255, 240, 214}}
	green      = [3][3]byte{{16, 92, 72}, {46, 204, 113}, {232, 255, 240}}
	rose       = [3][3]byte{{120, 40, 90}, {236, 112, 160}, {255, 228, 240}}
	blue       = [3][3]byte{{18, 36, 110}, {40, 190, 230}, {235, 248, 255}}
	gold       = [3][3]byte{{150, 80, 70}, {240, 190, 150}, {255, 246, 230}}
	earth      = [3][3]byte{{92, 70, 50}, {200, 160, 110}, {250, 240, 225}}
	sky        = [3][3]byte{{30, 90, 160}, {240, 200, 140}, {255, 250, 235}}
	berry      = [3][3]byte{{90, 20, 60}, {200, 50, 110}, {255, 200, 220}}
	pastel     = [3][3]byte{{150, 170, 230}, {250, 200, 220}, {255, 255, 255}}
	cyan       = [3][3]byte{{10, 60, 80}, {0, 200, 200}, {220, 255, 250}}
	ember      = [3][3]byte{{110, 20, 10}, {240, 90, 30}, {255, 220, 120}}
	dawn       = [3][3]byte{{60, 40, 110}, {250, 130, 90}, {255, 230, 170}}
	moss       = [3][3]byte{{40, 60, 30}, {140, 170, 90}, {240, 245, 220}}
	graphite   = [3][3]byte{{30, 30, 40}, {120, 130, 150}, {240, 240, 250}}
	terracotta = [3][3]byte{{150, 70, 50}, {220, 140, 100}, {255, 235, 220}}
)

var creators = []creator{
	{Handle: "mia.cooks", Name: "Mia Rossi", Color: [3]byte{214, 84, 52},
		Bio: "Home cook. Fresh pasta on Sundays, 30-second recipes every day.",
		Shop: &shop{Name: "Mia's Pantry", Description: "Kitchen things I actually use.", Products: []product{
			{Title: "Linen apron", Description: "Stonewashed linen with deep pockets and cross-back straps.", Commission: 1000, Price: 3200,
				Options: []option{{"color", []string{"Terracotta", "Sage", "Charcoal"}}, {"size", []string{"S/M", "L/XL"}}}, Stock: 12,
				Art: art{"apron", terracotta}},
			{Title: "Olive wood spoon set", Description: "Hand-finished olive wood, oiled and ready to cook with.", Commission: 800,
				Prices: []int64{2400, 3600}, Options: []option{{"set", []string{"3 pieces", "5 pieces"}}}, Stock: 20, Art: art{"spoons", earth}},
			{Title: "Chili crisp", Description: "Crunchy garlic, shallot and chili in oil. Medium heat.", Commission: 1200,
				Prices: []int64{900, 1500}, Options: []option{{"size", []string{"200 g", "400 g"}}}, Stock: 40, Art: art{"jar", ember}},
		}}},
	{Handle: "leo.lifts", Name: "Leo Park", Color: [3]byte{39, 174, 96},
		Bio: "Strength coach. Short workouts you can do anywhere.",
		Shop: &shop{Name: "Leo Fit", Description: "Gear for training at home and on the road.", Products: []product{
			{Title: "Resistance band set", Description: "Latex-free fabric bands that do not roll up.", Commission: 1000, Price: 2600,
				Options: []option{{"level", []string{"Light", "Medium", "Heavy"}}}, Stock: 25, Art: art{"ring", green}},
			{Title: "Training tee", Description: "Light, quick-dry and cut to move.", Commission: 1000, Price: 2800,
				Options: []option{{"color", []string{"Black", "Volt", "White"}}, sizesTee}, Stock: 8, Art: art{"tee", green}},
			{Title: "Steel shaker bottle", Description: "Double-walled steel, 700 ml, with a whisk ball.", Commission: 800, Price: 1900,
				Options: []option{{"color", []string{"Silver", "Black"}}}, Stock: 30, Art: art{"bottle", graphite}},
		}}},
	{Handle: "ava.style", Name: "Ava Chen", Color: [3]byte{200, 80, 150},
		Bio: "Capsule wardrobes and thrifted finds. Style notes daily.",
		Shop: &shop{Name: "Ava Atelier", Description: "Pieces that go with everything.", Products: []product{
			{Title: "Oversized linen shirt", Description: "Relaxed fit, mother-of-pearl buttons.", Commission: 1200, Price: 5900,
				Options: []option{{"color", []string{"Ecru", "Sky"}}, {"size", []string{"XS", "S", "M", "L"}}}, Stock: 6, Art: art{"tee", pastel}},
			{Title: "Canvas tote", Description: "Heavy cotton canvas with an inside pocket.", Commission: 1500, Price: 2200,
				Options: []option{{"color", []string{"Natural", "Black"}}}, Stock: 35, Art: art{"bag", earth}},
			{Title: "Court sneakers", Description: "Leather low-tops on a stitched cup sole.", Commission: 1000, Price: 8900,
				Options: []option{{"size", []string{"36", "37", "38", "39", "40", "41"}}}, Stock: 4, Art: art{"shoe", pastel}},
		}}},
	{Handle: "noah.tech", Name: "Noah Kim", Color: [3]byte{41, 128, 185},
		Bio: "Gadgets tested so you don't have to. Honest 30-second reviews.",
		Shop: &shop{Name: "Noah Gadgets", Description: "Small tech that earns its place on the desk.", Products: []product{
			{Title: "Wireless earbuds", Description: "Noise cancelling, 30 hours with the case.", Commission: 800, Price: 4900,
				Options: []option{{"color", []string{"Graphite", "Pearl"}}}, Stock: 15, Art: art{"earbuds", blue}},
			{Title: "Phone tripod", Description: "Folds to pocket size; Bluetooth remote included.", Commission: 1000, Price: 2500,
				Stock: 22, Art: art{"phone", graphite}},
			{Title: "USB-C charger", Description: "GaN charger, two ports.", Commission: 800,
				Prices: []int64{2900, 4500}, Options: []option{{"power", []string{"30 W", "65 W"}}}, Stock: 18, Art: art{"box", cyan}},
		}}},
	{Handle: "zoe.travels", Name: "Zoe Martin", Color: [3]byte{243, 156, 18},
		Bio: "Carry-on only. Tiny guides to big cities."},
	{Handle: "kai.beauty", Name: "Kai Lopez", Color: [3]byte{231, 76, 60},
		Bio: "Skin first, make-up second. Routines in under a minute.",
		Shop: &shop{Name: "Kai Glow", Description: "Clean beauty, small batches.", Products: []product{
			{Title: "Tinted lip oil", Description: "Sheer colour and shine, never sticky.", Commission: 1500, Price: 1600,
				Options: []option{{"shade", []string{"Rose", "Berry", "Coral"}}}, Stock: 40, Art: art{"bottle", berry}},
			{Title: "Vitamin C serum", Description: "10% vitamin C with ferulic acid.", Commission: 1200,
				Prices: []int64{2400, 3900}, Options: []option{{"size", []string{"15 ml", "30 ml"}}}, Stock: 20, Art: art{"bottle", gold}},
		}}},
	{Handle: "sam.home", Name: "Sam Okafor", Color: [3]byte{142, 68, 173},
		Bio: "Small rooms, big comfort. DIY and cosy finds.",
		Shop: &shop{Name: "Sam Home", Description: "Things that make a rented flat feel like home.", Products: []product{
			{Title: "Stoneware mug", Description: "Hand-glazed, 350 ml, dishwasher safe.", Commission: 1000, Price: 1800,
				Options: []option{{"color", []string{"Oat", "Moss", "Cobalt"}}}, Stock: 24, Art: art{"mug", moss}},
			{Title: "Chunky knit throw", Description: "Soft merino blend, 130 × 170 cm.", Commission: 1000, Price: 7900,
				Options: []option{{"color", []string{"Cream", "Rust"}}}, Stock: 7, Art: art{"box", terracotta}},
			{Title: "Soy candle", Description: "45 hours of burn time, cotton wick.", Commission: 1200, Price: 2200,
				Options: []option{{"scent", []string{"Fig", "Cedar"}}}, Stock: 30, Art: art{"jar", earth}},
		}}},
}

// shopper is the demo buyer; it has no shop and posts nothing.
var shopper = creator{Handle: Shopper, Name: "Dee Shopper", Color: [3]byte{52, 73, 94},
	Bio: "Here for the finds. Try the app as me."}

// videos are published in this order; the small ones come first so the
// feed has something to play within seconds of the first start.
var videos = []video{
	{Creator: "mia.cooks", Caption: "15-minute tomato pasta, no fancy tools 🍝 #cooking #pasta #easyrecipes",
		Hashtags: []string{"cooking", "pasta", "easyrecipes"}, Look: "plasma", Palette: warm, Notes: cMajor, Small: true,
		Pins: []pin{{"Mia's Pantry", "Linen apron", 1000, 5000}, {"Mia's Pantry", "Olive wood spoon set", 0, 0}}},
	{Creator: "leo.lifts", Caption: "No-gym full-body burner in six moves #fitness #homeworkout",
		Hashtags: []string{"fitness", "homeworkout"}, Look: "rings", Palette: green, Notes: gPenta, Small: true,
		Pins: []pin{{"Leo Fit", "Resistance band set", 500, 4500}, {"Leo Fit", "Training tee", 0, 0}}},
	{Creator: "ava.style", Caption: "Three ways to wear one linen shirt #fashion #ootd #capsulewardrobe",
		Hashtags: []string{"fashion", "ootd", "capsulewardrobe"}, Look: "waves", Palette: rose, Notes: fLydia, Small: true,
		Pins: []pin{{"Ava Atelier", "Oversized linen shirt", 0, 0}, {"Ava Atelier", "Canvas tote", 3000, 5500}}},
	{Creator: "noah.tech", Caption: "Are these $49 earbuds worth it? #tech #gadgets #review",
		Hashtags: []string{"tech", "gadgets", "review"}, Look: "tiles", Palette: blue, Notes: dDoria,
		Pins: []pin{{"Noah Gadgets", "Wireless earbuds", 0, 0}, {"Noah Gadgets", "USB-C charger", 4000, 7500}}},
	{Creator: "kai.beauty", Caption: "Morning glow routine in 45 seconds ✨ #beauty #skincare",
		Hashtags: []string{"beauty", "skincare"}, Look: "bokeh", Palette: gold, Notes: fLydia,
		Pins: []pin{{"Kai Glow", "Vitamin C serum", 0, 0}, {"Kai Glow", "Tinted lip oil", 4000, 7500}}},
	{Creator: "sam.home", Caption: "Cosy reading corner on a budget #home #interiordesign #diy",
		Hashtags: []string{"home", "interiordesign", "diy"}, Look: "sunburst", Palette: earth, Notes: aMinor,
		Pins: []pin{{"Sam Home", "Chunky knit throw", 0, 0}, {"Sam Home", "Stoneware mug", 2000, 6000}, {"Sam Home", "Soy candle", 5000, 7500}}},
	{Creator: "zoe.travels", Caption: "Lisbon in one carry-on #travel #packinglight",
		Hashtags: []string{"travel", "packinglight"}, Look: "waves", Palette: sky, Notes: gPenta,
		Pins: []pin{{"Ava Atelier", "Canvas tote", 0, 0}, {"Noah Gadgets", "Phone tripod", 3000, 7000}}},
	{Creator: "mia.cooks", Caption: "Chili crisp eggs in two minutes #cooking #breakfast",
		Hashtags: []string{"cooking", "breakfast"}, Look: "sunburst", Palette: ember, Notes: dDoria,
		Pins: []pin{{"Mia's Pantry", "Chili crisp", 0, 0}}},
	{Creator: "leo.lifts", Caption: "Shaker hack: no more clumps #fitness #mealprep",
		Hashtags: []string{"fitness", "mealprep"}, Look: "bokeh", Palette: cyan, Notes: cMajor,
		Pins: []pin{{"Leo Fit", "Steel shaker bottle", 0, 0}}},
	{Creator: "ava.style", Caption: "Sneaker rotation for spring #fashion #sneakers",
		Hashtags: []string{"fashion", "sneakers"}, Look: "tiles", Palette: pastel, Notes: gPenta,
		Pins: []pin{{"Ava Atelier", "Court sneakers", 0, 0}}},
	{Creator: "noah.tech", Caption: "One 65 W charger for the whole desk #tech #desksetup",
		Hashtags: []string{"tech", "desksetup"}, Look: "plasma", Palette: cyan, Notes: aMinor,
		Pins: []pin{{"Noah Gadgets", "USB-C charger", 0, 0}, {"Noah Gadgets", "Phone tripod", 4000, 7500}}},
	{Creator: "kai.beauty", Caption: "Lip oil swatches: rose, berry or coral? #beauty #makeup",
		Hashtags: []string{"beauty", "makeup"}, Look: "rings", Palette: berry, Notes: cMajor,
		Pins: []pin{{"Kai Glow", "Tinted lip oil", 0, 0}}},
	{Creator: "sam.home", Caption: "Mug collection tour ☕ #home #ceramics",
		Hashtags: []string{"home", "ceramics"}, Look: "plasma", Palette: moss, Notes: dDoria,
		Pins: []pin{{"Sam Home", "Stoneware mug", 0, 0}}},
	{Creator: "zoe.travels", Caption: "Sunrise hike with a pocket tripod #travel #hiking",
		Hashtags: []string{"travel", "hiking"}, Look: "sunburst", Palette: dawn, Notes: fLydia,
		Pins: []pin{{"Noah Gadgets", "Phone tripod", 0, 0}, {"Ava Atelier", "Court sneakers", 2000, 7000}}},
}

// comments are left on the video at that index by each handle once it is ready.
var comments = map[int][]struct{ Handle, Body string }{
	0:  {{"demo.shopper", "Made this tonight, so good!"}, {"leo.lifts", "Post-workout dinner sorted 💪"}},
	1:  {{"demo.shopper", "Move 4 destroyed me 😅"}, {"kai.beauty", "Saving this for tomorrow morning"}},
	2:  {{"demo.shopper", "Which colour is the shirt?"}, {"zoe.travels", "Perfect for travel, packs flat"}},
	3:  {{"demo.shopper", "How's the battery after a year?"}, {"sam.home", "Got them, no regrets"}},
	4:  {{"ava.style", "Glowing!"}, {"demo.shopper", "Does the serum sting?"}},
	5:  {{"mia.cooks", "I need that throw"}, {"demo.shopper", "So cosy 😍"}},
	6:  {{"demo.shopper", "Adding Lisbon to the list"}, {"noah.tech", "Tripod looks familiar 😄"}},
	7:  {{"demo.shopper", "Chili crisp on everything"}},
	9:  {{"demo.shopper", "Size 38 fits true?"}},
	10: {{"leo.lifts", "Ordered one for the gym bag"}},
	12: {{"demo.shopper", "The moss one!"}},
}

// likes are the handles that like every video.
var likers = []string{Shopper, "mia.cooks", "zoe.travels"}

// follows: the shopper follows every creator; a few creators follow each other.
var follows = [][2]string{
	{"zoe.travels", "ava.style"}, {"zoe.travels", "noah.tech"}, {"leo.lifts", "mia.cooks"},
	{"kai.beauty", "ava.style"}, {"sam.home", "mia.cooks"}, {"ava.style", "kai.beauty"},
}

// orders are the shopper's purchases: the video (by index) they came from,
// the product and its options, the quantity, how many days ago, and how far
// the order went ("paid", "shipped" or "completed").
var orders = []struct {
	Video      int
	Shop       string
	Title      string
	Options    []string
	Qty        int
	DaysAgo    int
	FinalState string
}{
	{0, "Mia's Pantry", "Linen apron", []string{"Sage", "S/M"}, 1, 6, "completed"},
	{3, "Noah Gadgets", "Wireless earbuds", []string{"Pearl"}, 1, 5, "completed"},
	{6, "Ava Atelier", "Canvas tote", []string{"Natural"}, 2, 4, "shipped"},
	{4, "Kai Glow", "Vitamin C serum", []string{"30 ml"}, 1, 3, "shipped"},
	{9, "Ava Atelier", "Court sneakers", []string{"38"}, 1, 2, "paid"},
	{7, "Mia's Pantry", "Chili crisp", []string{"400 g"}, 3, 1, "paid"},
	{1, "Leo Fit", "Training tee", []string{"Volt", "M"}, 1, 0, "paid"},
}
