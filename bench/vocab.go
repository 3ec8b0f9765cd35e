package bench

// Vocabularies for names, streets and cities. Street and city names avoid
// every word contactkey folds as an address abbreviation (Center, Mount,
// Plaza, ...) and single letters, so that the peers' few SQL string
// functions normalise them exactly as hush does; vocab_test.go checks it.

var firstNames = []string{
	"james", "mary", "robert", "patricia", "john", "jennifer", "michael", "linda", "david", "elizabeth",
	"william", "barbara", "richard", "susan", "joseph", "jessica", "thomas", "sarah", "charles", "karen",
	"christopher", "lisa", "daniel", "nancy", "matthew", "betty", "anthony", "sandra", "mark", "margaret",
	"donald", "ashley", "steven", "kimberly", "andrew", "emily", "paul", "donna", "joshua", "michelle",
	"kenneth", "carol", "kevin", "amanda", "brian", "melissa", "george", "deborah", "timothy", "stephanie",
	"ronald", "dorothy", "jason", "rebecca", "edward", "sharon", "jeffrey", "laura", "ryan", "cynthia",
	"jacob", "amy", "gary", "kathleen", "nicholas", "angela", "eric", "shirley", "jonathan", "brenda",
	"stephen", "emma", "larry", "anna", "justin", "pamela", "scott", "nicole", "brandon", "samantha",
	"benjamin", "katherine", "samuel", "christine", "gregory", "debra", "alexander", "rachel", "patrick", "carolyn",
	"frank", "janet", "raymond", "maria", "jack", "olivia", "dennis", "heather", "jerry", "helen",
	"tyler", "catherine", "aaron", "diane", "jose", "julie", "adam", "victoria", "nathan", "joyce",
	"henry", "lauren", "zachary", "kelly", "douglas", "christina", "peter", "ruth", "kyle", "joan",
	"noah", "virginia", "ethan", "judith", "jeremy", "evelyn", "christian", "hannah", "walter", "andrea",
	"keith", "megan", "austin", "cheryl", "roger", "jacqueline", "terry", "madison", "sean", "sophia",
	"carlos", "ana", "luis", "carmen", "juan", "rosa", "miguel", "lucia", "wei", "mei",
	"hiroshi", "yuki", "omar", "fatima", "ahmed", "aisha", "raj", "priya", "ivan", "olga",
}

var lastNames = []string{
	"smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez", "martinez",
	"hernandez", "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor", "moore", "jackson", "martin",
	"lee", "perez", "thompson", "white", "harris", "sanchez", "clark", "ramirez", "lewis", "robinson",
	"walker", "young", "allen", "king", "wright", "scott", "torres", "nguyen", "hill", "flores",
	"green", "adams", "nelson", "baker", "hall", "rivera", "campbell", "mitchell", "carter", "roberts",
	"gomez", "phillips", "evans", "turner", "diaz", "parker", "cruz", "edwards", "collins", "reyes",
	"stewart", "morris", "morales", "murphy", "cook", "rogers", "gutierrez", "ortiz", "morgan", "cooper",
	"peterson", "bailey", "reed", "kelly", "howard", "ramos", "kim", "cox", "ward", "richardson",
	"watson", "brooks", "chavez", "wood", "james", "bennett", "gray", "mendoza", "ruiz", "hughes",
	"price", "alvarez", "castillo", "sanders", "patel", "myers", "long", "ross", "foster", "jimenez",
	"powell", "jenkins", "perry", "russell", "sullivan", "bell", "coleman", "butler", "henderson", "barnes",
	"gonzales", "fisher", "vasquez", "simmons", "romero", "jordan", "patterson", "alexander", "hamilton", "graham",
	"reynolds", "griffin", "wallace", "moreno", "west", "cole", "hayes", "bryant", "herrera", "gibson",
	"ellis", "tran", "medina", "aguilar", "stevens", "murray", "ford", "castro", "marshall", "owens",
	"harrison", "fernandez", "mcdonald", "woods", "washington", "kennedy", "wells", "vargas", "henry", "chen",
	"freeman", "webb", "tucker", "guzman", "burns", "crawford", "olson", "simpson", "porter", "hunter",
	"gordon", "mendez", "silva", "shaw", "snyder", "mason", "dixon", "munoz", "hunt", "hicks",
	"holmes", "palmer", "wagner", "black", "robertson", "boyd", "rose", "stone", "salazar", "fox",
	"warren", "mills", "meyer", "rice", "schmidt", "garza", "daniels", "ferguson", "nichols", "stephens",
	"soto", "weaver", "ryan", "gardner", "payne", "grant", "dunn", "kelley", "spencer", "hawkins",
	"obrien", "wang", "li", "zhang", "liu", "yang", "huang", "zhao", "wu", "zhou",
	"kowalski", "novak", "schneider", "fischer", "weber", "becker", "rossi", "russo", "ferrari", "esposito",
}

// commonDomains and how often a consumer address uses them; the rest of the
// weight goes to random small domains.
var commonDomains = []string{
	"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "aol.com", "icloud.com", "comcast.net",
	"msn.com", "live.com", "att.net", "verizon.net", "sbcglobal.net", "me.com", "protonmail.com",
	"ymail.com", "cox.net", "charter.net", "earthlink.net",
}
var commonDomainWeights = []float64{
	32, 13, 9, 6, 4, 5, 2,
	1, 2, 1.5, 1, 1, 1, 0.5,
	0.5, 0.5, 0.5, 0.3,
}

const randomDomainWeight = 19 // per cent of addresses at some small domain

var domainSyllables = []string{
	"al", "an", "bay", "bel", "blue", "bright", "brook", "cal", "cap", "car", "cedar", "clear", "cor",
	"crest", "dal", "del", "east", "el", "fair", "fern", "field", "fox", "gate", "glen", "gold", "green",
	"har", "high", "hill", "lake", "land", "lin", "mar", "max", "mer", "mid", "mill", "mon", "net",
	"north", "oak", "pine", "point", "ridge", "river", "rock", "sea", "shore", "sky", "son", "star",
	"stone", "sun", "tech", "ton", "tri", "val", "ver", "view", "west", "wood", "works",
}
var tlds = []string{"com", "com", "com", "com", "net", "net", "org", "us", "biz", "io", "co", "info"}

// streetNames are names that precede a street suffix. None is a word
// contactkey folds, none is a single letter.
var streetNames = []string{
	"Main", "Oak", "Maple", "Pine", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park",
	"Walnut", "Lincoln", "Jefferson", "Madison", "Franklin", "Jackson", "Highland", "Ridge", "Church", "Spring",
	"Willow", "Sunset", "Chestnut", "Adams", "River", "Forest", "Meadow", "Valley", "Mill", "Cherry",
	"Jones", "Johnson", "Lee", "Wilson", "Hickory", "Birch", "Spruce", "Poplar", "Dogwood", "Magnolia",
	"Laurel", "Holly", "Sycamore", "Aspen", "Juniper", "Cypress", "Redwood", "Sequoia", "Lakeview", "Hillside",
	"Riverside", "Broadway", "Market", "Front", "Water", "Bridge", "School", "College", "Academy", "Union",
	"Liberty", "Independence", "Freedom", "Pleasant", "Prospect", "Summit", "Grand", "Central", "Harbor", "Bay",
	"Ocean", "Beach", "Shore", "Sunrise", "Orchard", "Vineyard", "Garden", "Rose", "Lilac", "Tulip",
	"Kennedy", "Roosevelt", "Grant", "Monroe", "Hamilton", "Clinton", "Wayne", "Marshall", "Warren", "Harrison",
	"First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth",
	"1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "9th", "10th",
	"11th", "12th", "14th", "23rd", "34th", "42nd", "57th", "72nd", "86th", "125th",
	"Fox Run", "Deer Path", "Old Mill", "Stone Bridge", "Country Club", "Green Valley", "Oak Hill", "Pine Ridge", "Mill Creek", "Silver Lake",
	"Martin Luther King Jr", "Peachtree", "Colfax", "Wilshire", "Sepulveda", "Halsted", "Ashland", "Western", "Cicero", "Pulaski",
	"O'Farrell", "O'Connor", "King's", "Mission", "Valencia", "Geary", "Clement", "Irving", "Judah", "Taraval",
	"Canal", "Bourbon", "Royal", "Esplanade", "Magazine", "Tchoupitoulas", "Congress", "Lamar", "Guadalupe", "Burnet",
	"Camelback", "Indian School", "Baseline", "Chandler", "Dobson", "Alma School", "Scottsdale", "Shea", "Thunderbird", "Greenway",
	"Biscayne", "Flagler", "Coral Way", "Brickell", "Collins", "Ponce de Leon", "Sheridan", "Hollywood", "Dixie", "Atlantic",
}

// streetSuffixes: each entry is the ways one suffix is written; all of a
// row's spellings fold to the same key in contactkey. Only suffixes whose
// abbreviation is a prefix of the full word vary (Street/St, Avenue/Ave):
// the peers fold all of those with one regexp_replace (see AddressFolds);
// the others are always written short.
var streetSuffixes = [][]string{
	{"Street", "St", "St.", "Str"},
	{"Avenue", "Ave", "Ave."},
	{"Rd", "Rd."},
	{"Blvd", "Blvd."},
	{"Drive", "Dr", "Dr."},
	{"Ln"},
	{"Ct"},
	{"Pl"},
	{"Terrace", "Ter"},
	{"Circle", "Cir"},
	{"Pkwy"},
	{"Way"},
}
var streetSuffixWeights = []float64{30, 22, 14, 5, 10, 6, 4, 3, 1.5, 1.5, 1.5, 2}

// directions: each entry is the ways one direction is written (the first
// four before the street name, the rest after it).
var directions = [][]string{
	{"North", "N", "N."}, {"South", "S", "S."}, {"East", "E", "E."}, {"West", "W", "W."},
	{"NE"}, {"NW"}, {"SE"}, {"SW"},
}

// unitWords: each entry is the ways one unit designator is written; "#"
// goes right before the number.
var unitWords = [][]string{
	{"Apartment", "Apt", "Apt."},
	{"Suite", "Ste", "Ste."},
	{"Unit"},
	{"#"},
}
var unitWordWeights = []float64{60, 20, 12, 8}

type city struct{ name, state, zip3 string }

// cities with their state and first three ZIP digits.
var cities = []city{
	{"Springfield", "IL", "627"}, {"Springfield", "MA", "011"}, {"Springfield", "MO", "658"}, {"Riverside", "CA", "925"},
	{"Fairview", "TX", "750"}, {"Franklin", "TN", "370"}, {"Salem", "OR", "973"}, {"Greenville", "SC", "296"},
	{"Madison", "WI", "537"}, {"Georgetown", "TX", "786"}, {"Clinton", "IA", "527"}, {"Arlington", "VA", "222"},
	{"Ashland", "OR", "975"}, {"Oxford", "MS", "386"}, {"Jackson", "MS", "392"}, {"Burlington", "VT", "054"},
	{"Manchester", "NH", "031"}, {"Milton", "MA", "021"}, {"Newport", "RI", "028"}, {"Dover", "DE", "199"},
	{"Auburn", "AL", "368"}, {"Lexington", "KY", "405"}, {"Hudson", "OH", "442"}, {"Kingston", "NY", "124"},
	{"New York", "NY", "100"}, {"Brooklyn", "NY", "112"}, {"Los Angeles", "CA", "900"}, {"Chicago", "IL", "606"},
	{"Houston", "TX", "770"}, {"Phoenix", "AZ", "850"}, {"Philadelphia", "PA", "191"}, {"San Antonio", "TX", "782"},
	{"San Diego", "CA", "921"}, {"Dallas", "TX", "752"}, {"San Jose", "CA", "951"}, {"Austin", "TX", "787"},
	{"Jacksonville", "FL", "322"}, {"Fort Worth", "TX", "761"}, {"Columbus", "OH", "432"}, {"Charlotte", "NC", "282"},
	{"San Francisco", "CA", "941"}, {"Indianapolis", "IN", "462"}, {"Seattle", "WA", "981"}, {"Denver", "CO", "802"},
	{"Washington", "DC", "200"}, {"Boston", "MA", "021"}, {"El Paso", "TX", "799"}, {"Nashville", "TN", "372"},
	{"Detroit", "MI", "482"}, {"Oklahoma City", "OK", "731"}, {"Portland", "OR", "972"}, {"Las Vegas", "NV", "891"},
	{"Memphis", "TN", "381"}, {"Louisville", "KY", "402"}, {"Baltimore", "MD", "212"}, {"Milwaukee", "WI", "532"},
	{"Albuquerque", "NM", "871"}, {"Tucson", "AZ", "857"}, {"Fresno", "CA", "937"}, {"Sacramento", "CA", "958"},
	{"Mesa", "AZ", "852"}, {"Kansas City", "MO", "641"}, {"Atlanta", "GA", "303"}, {"Omaha", "NE", "681"},
	{"Colorado Springs", "CO", "809"}, {"Raleigh", "NC", "276"}, {"Long Beach", "CA", "908"}, {"Virginia Beach", "VA", "234"},
	{"Miami", "FL", "331"}, {"Oakland", "CA", "946"}, {"Minneapolis", "MN", "554"}, {"Tulsa", "OK", "741"},
	{"Bakersfield", "CA", "933"}, {"Wichita", "KS", "672"}, {"Tampa", "FL", "336"}, {"Aurora", "CO", "800"},
	{"Anaheim", "CA", "928"}, {"Honolulu", "HI", "968"}, {"Santa Ana", "CA", "927"}, {"Corpus Christi", "TX", "784"},
	{"Riverside", "CA", "925"}, {"St. Louis", "MO", "631"}, {"Pittsburgh", "PA", "152"}, {"Stockton", "CA", "952"},
	{"Cincinnati", "OH", "452"}, {"Anchorage", "AK", "995"}, {"Henderson", "NV", "890"}, {"Greensboro", "NC", "274"},
	{"Plano", "TX", "750"}, {"Newark", "NJ", "071"}, {"Toledo", "OH", "436"}, {"Lincoln", "NE", "685"},
	{"Orlando", "FL", "328"}, {"Chula Vista", "CA", "919"}, {"Jersey City", "NJ", "073"}, {"Chandler", "AZ", "852"},
	{"Fort Wayne", "IN", "468"}, {"Buffalo", "NY", "142"}, {"Durham", "NC", "277"}, {"St. Petersburg", "FL", "337"},
	{"Irvine", "CA", "926"}, {"Laredo", "TX", "780"}, {"Lubbock", "TX", "794"}, {"Madison", "WI", "537"},
	{"Gilbert", "AZ", "852"}, {"Norfolk", "VA", "235"}, {"Reno", "NV", "895"}, {"Winston-Salem", "NC", "271"},
	{"Glendale", "AZ", "853"}, {"Hialeah", "FL", "330"}, {"Garland", "TX", "750"}, {"Scottsdale", "AZ", "852"},
	{"Irving", "TX", "750"}, {"Chesapeake", "VA", "233"}, {"Fremont", "CA", "945"}, {"Baton Rouge", "LA", "708"},
	{"Richmond", "VA", "232"}, {"Boise", "ID", "837"}, {"San Bernardino", "CA", "924"}, {"Spokane", "WA", "992"},
	{"Des Moines", "IA", "503"}, {"Modesto", "CA", "953"}, {"Birmingham", "AL", "352"}, {"Tacoma", "WA", "984"},
	{"Fontana", "CA", "923"}, {"Rochester", "NY", "146"}, {"Oxnard", "CA", "930"}, {"Moreno Valley", "CA", "925"},
	{"Fayetteville", "NC", "283"}, {"Huntington Beach", "CA", "926"}, {"Yonkers", "NY", "107"}, {"Glendale", "CA", "912"},
	{"Montgomery", "AL", "361"}, {"Amarillo", "TX", "791"}, {"Little Rock", "AR", "722"}, {"Akron", "OH", "443"},
	{"Shreveport", "LA", "711"}, {"Augusta", "GA", "309"}, {"Grand Rapids", "MI", "495"}, {"Salt Lake City", "UT", "841"},
	{"Tallahassee", "FL", "323"}, {"Huntsville", "AL", "358"}, {"Worcester", "MA", "016"}, {"Knoxville", "TN", "379"},
	{"Providence", "RI", "029"}, {"Brownsville", "TX", "785"}, {"Santa Clarita", "CA", "913"}, {"Overland Park", "KS", "662"},
	{"Garden Grove", "CA", "928"}, {"Chattanooga", "TN", "374"}, {"Oceanside", "CA", "920"}, {"Fort Lauderdale", "FL", "333"},
	{"Rancho Cucamonga", "CA", "917"}, {"Santa Rosa", "CA", "954"}, {"Port St. Lucie", "FL", "349"}, {"Ontario", "CA", "917"},
	{"Vancouver", "WA", "986"}, {"Tempe", "AZ", "852"}, {"Springdale", "AR", "727"}, {"Lancaster", "PA", "176"},
	{"Eugene", "OR", "974"}, {"Pembroke Pines", "FL", "330"}, {"Salinas", "CA", "939"}, {"Cary", "NC", "275"},
	{"Fort Collins", "CO", "805"}, {"Peoria", "IL", "616"}, {"Hayward", "CA", "945"}, {"Alexandria", "VA", "223"},
	{"Joliet", "IL", "604"}, {"Bridgeport", "CT", "066"}, {"Savannah", "GA", "314"}, {"Syracuse", "NY", "132"},
	{"Palmdale", "CA", "935"}, {"Macon", "GA", "312"}, {"Sunnyvale", "CA", "940"}, {"Pomona", "CA", "917"},
}
