/**
 * Passwords that are among the most used (from the well-known public top lists: 123456, password,
 * qwerty, …), all lower case. The password policy refuses them in any capitalisation, because these
 * are the first guesses of every online attack. Data only; see password-policy.ts for the rule.
 */
const LIST = `
123456 password 12345678 qwerty 123456789 12345 1234 111111 1234567 dragon 123123 baseball abc123 football
monkey letmein 696969 shadow master 666666 qwertyuiop 123321 mustang 1234567890 michael 654321 superman
1qaz2wsx 7777777 121212 000000 qazwsx 123qwe killer trustno1 jordan jennifer zxcvbnm asdfgh hunter buster
soccer harley batman andrew tigger sunshine iloveyou 2000 charlie robert thomas hockey ranger daniel starwars
klaster 112233 george computer michelle jessica pepper 1111 zxcvbn 555555 11111111 131313 freedom 777777 pass
maggie 159753 aaaaaa ginger princess joshua cheese amanda summer love ashley nicole chelsea biteme matthew
access yankees 987654321 dallas austin thunder taylor matrix mobilemail mom monitor monitoring montana moon
moscow william corvette hello martin heather secret merlin diamond 1234qwer gfhjkm hammer silver 222222
88888888 anthony justin test bailey q1w2e3r4t5 patrick internet scooter orange 11111 golfer cookie richard
samantha bigdog guitar jackson whatever mickey chicken sparky snoopy maverick phoenix camaro peanut morgan
welcome falcon cowboy ferrari samsung andrea smokey steelers joseph mercedes dakota arsenal eagles melissa
boomer booboo spider nascar monster tigers yellow xxxxxx 123123123 gateway marina diablo bulldog qwer1234
compaq purple hardcore banana junior hannah 123654 porsche lakers iceman money cowboys 987654 london tennis
999999 ncc1701 coffee scooby 0000 miller boston q1w2e3r4 brandon yamaha chester mother forever johnny edward
333333 oliver redsox player nikita knight fender barney midnight please brandy chicago badboy slayer rangers
charles angel flower bigdaddy rabbit wizard bigdick jasper enter rachel chris steven winner adidas victoria
natasha 1q2w3e4r jasmine winter prince panties marine ghbdtn fishing cocacola casper james 232323 raiders
888888 marlboro gandalf asdfasdf crystal 87654321 12344321 golden 8675309 private 121314 debbie jordan23
iloveu daddy elephant gordon boston1 dolphin 654321a silverado coolman 121212a sexy hotdog 123abc access14
qwerty123 qwe123 zaq12wsx bond007 lovers 1qazxsw2 apples cheyenne hotrod 1q2w3e ranger1 john letmein1
password1 password123 password12 passw0rd p@ssw0rd p@ssword pa55word pa$$word admin admin123 administrator
root toor changeme default guest user login welcome1 welcome123 abc12345 abcd1234 abcdef abcdefg abcdefgh
1234abcd qwertyui qwertyu asdfghjk asdfghjkl zxcvbnm1 1qaz2wsx3edc qazwsxedc qweasdzxc qweasd 1q2w3e4r5t
1q2w3e4r5t6y zaq1zaq1 zaq1xsw2 !qaz2wsx 1qaz@wsx q1w2e3 qwert 12qwaszx asdf1234 asdf qwerty1 qwerty12
qwertyuiop123 aa123456 a123456 a12345678 123456a 123456q 123456z 12345a 12345q 12345qwert 123qweasd
123qweasdzxc 1234561 12345678910 123456789a 1234512345 0123456789 01234567 9876543210 11223344 112233445566
123123a 147258 147258369 159357 159951 258456 321321 741852963 753951 789456 789456123 963852741 147852369
852456 456789 456123 654123 321654 1234321 123454321 1111111 11111111111 1212 12121212 2222 22222222 3333
44444444 4444 5555 55555 5555555 666666666 7777 77777777 8888 88888 99999999 9999 00000000 0987654321 1q1q1q
1a2b3c 1a2b3c4d a1b2c3 a1b2c3d4 aaa111 aaaa aaaaaaaa abcabc abc123456 abcd123 qwerty1234 iloveyou1 iloveyou2
iloveu2 loveyou loveme lovely love123 mylove teamo teiubesc jetaime ihateyou fuckyou1 sunshine1 princess1
football1 baseball1 monkey1 dragon1 shadow1 master1 michael1 superman1 batman1 charlie1 jordan1 hunter1
tigger1 soccer1 hockey1 ashley1 jessica1 daniel1 andrew1 thomas1 robert1 computer1 summer1 killer1 chicken1
pepper1 jennifer1 nicole1 anthony1 joshua1 matthew1 jesus jesus1 god christ blessed faith angel1 angels heaven
jesuschrist trinity matrix1 freedom1 qwerty7 abc1234 monkey12 letmein12 welcome12 hello123 hello1 helloworld
test123 test1 testing testing123 temp temp123 demo demo123 sample trial secret1 secret123 mysecret topsecret
private1 qwerty321 asdf123 zxcv1234 zxc123 zxcvb 1qa2ws3ed q2w3e4r5 2wsx3edc 3edc4rfv 4rfv5tgb 1qazxsw23edc
xsw21qaz poiuytrewq lkjhgfdsa mnbvcxz ytrewq asdfg asdfghj zxcvbn1 qazxsw qwaszx wsxedc rfvtgb 123zxc 123asd
123qaz qaz123 wsx123 asd123 zxc321 qwe321 ewq321 football12 baseball12 soccer12 monkey123 dragon123 shadow123
master123 super123 superman123 batman123 charlie123 pokemon pikachu naruto sasuke goku vegeta dragonball
onepiece minecraft fortnite roblox pubg callofduty halo xbox playstation nintendo mario zelda sonic starcraft
warcraft diablo2 counterstrike gamer gaming lol lollol hahaha haha lmao omg omglol whatever1 nothing none
blank empty nopassword nopass password! password1! password2 password3 password01 passwords passport pass123
pass1234 pass1 passwd passwort motdepasse contraseña senha parola wachtwoord lozinka salasana haslo heslo
jelszo sifre qwertz qwertzuiop azerty azertyuiop 123456789q 1234567q qwerty123456 1qaz2wsx3edc4rfv liverpool
manchester chelsea1 arsenal1 barcelona realmadrid juventus milan inter bayern united manutd liverpool1 everton
tottenham newcastle leeds celtic rangers1 packers cowboys1 steelers1 patriots broncos raiders1 giants jets
dolphins redskins bears vikings lions saints falcons panthers seahawks chargers chiefs ravens bengals browns
texans colts titans jaguars yankees1 redsox1 mets cubs dodgers braves phillies astros lakers1 celtics bulls
knicks heat spurs warriors michael23 kobe24 lebron23 ronaldo messi cristiano neymar beckham zidane maradona
pele tiger woods nascar1 harley1 ducati honda yamaha1 suzuki kawasaki toyota nissan mazda subaru mitsubishi
ford chevy chevrolet dodge jeep mustang1 corvette1 camaro1 ferrari1 porsche1 bmw audi mercedes1 lexus acura
volvo volkswagen jaguar lamborghini bentley cadillac hummer tesla viper cobra shelby bugatti maserati mclaren
nissan1 skyline impala silverado1 tacoma tundra michelle1 samantha1 amanda1 melissa1 heather1 elizabeth
stephanie jennifer2 sarah sarah1 emily emma olivia sophia ava isabella mia abigail madison chloe natalie grace
lily hannah1 lauren rebecca kimberly amy angela brittany danielle megan rachel1 kayla alexis courtney crystal1
tiffany victoria1 vanessa veronica diana monica andrea1 patricia linda barbara susan margaret dorothy lisa
nancy karen betty helen sandra donna carol ruth sharon laura cynthia kathleen shirley amber anna1 anna maria
maria1 marie sophie julia julie jasmine1 jenny kelly kate katie lucy molly daisy rose alexander alex alex123
alexandr alexandra max maxwell maximus oscar jack jack123 jacob ethan noah liam mason logan lucas benjamin
samuel sam david david1 john1 james1 james123 william1 richard1 joseph1 charles1 christopher chris1 brian
kevin jason jeremy ryan eric stephen steven1 mark paul peter scott frank tony antonio carlos jose juan luis
miguel pedro manuel francisco diego fernando sergio ricardo eduardo roberto rafael javier jorge alberto andres
pablo ivan dmitry sergey andrey vladimir natasha1 svetlana olga tatiana irina elena katya masha dasha
anastasia nicholas nick justin1 brandon1 tyler zachary austin1 dylan cody travis dustin derek kyle sean
patrick1 shawn adam aaron nathan jonathan jeffrey timothy gregory larry dennis walter jerry henry harry
harrypotter hermione gryffindor hogwarts voldemort dumbledore frodo gandalf1 legolas aragorn gollum hobbit
mordor sauron starwars1 skywalker jedi yoda vader darthvader chewbacca obiwan startrek spock kirk enterprise
ncc1701d matrix2 neo morpheus trinity1 superman2 spiderman ironman hulk thor captain avengers marvel deadpool
wolverine xmen joker batman1989 robin wonderwoman flash aquaman catwoman hellokitty tinkerbell barbie
cinderella ariel simba nemo dory shrek elmo cookie1 snoopy1 garfield scoobydoo bugsbunny tweety mickey1 minnie
donald goofy pluto winnie pooh tigger2 eeyore piglet puppy kitten kitty kittycat doggy doggie puppies bunny
teddy teddybear panda lion eagle hawk falcon1 wolf wolves bear bears1 shark dolphin1 whale turtle horse horses
pony unicorn butterfly ladybug bumblebee honey sugar candy cupcake cookies chocolate vanilla caramel cherry
strawberry blueberry raspberry apple banana1 orange1 lemon mango peach pumpkin ginger1 cinnamon coffee1 tea
water fire earth wind storm thunder1 lightning rainbow sunshine2 sunset sunrise moonlight starlight star stars
galaxy universe planet mercury venus mars jupiter saturn neptune pluto1 cosmos spring autumn winter1
summer2020 summer2021 summer2022 summer2023 summer2024 winter2020 winter2023 spring2024 january february march
april may june july august september october november december monday tuesday friday sunday weekend holiday
christmas xmas easter halloween birthday happy happy123 happy1 smile smiley funny crazy cool cool123 awesome
amazing perfect beautiful pretty cute sweet sweetie sweetheart honey1 baby baby123 babygirl babyboy babe
princesa bonita hermosa mariposa corazon amor amorcito teamo1 tequiero carino querida cariño gatito perrito
mexico brasil brazil argentina colombia peru chile espana spain france paris italia italy roma germany berlin
london1 england english america usa canada toronto australia sydney india china japan tokyo korea seoul russia
moscow1 africa egypt israel jerusalem newyork california texas florida hawaii chicago1 boston2 dallas1 houston
miami vegas lasvegas hollywood denver seattle atlanta detroit phoenix1 portland memphis nashville orlando
tampa jersey brooklyn qwerty2 qwerty11 qwerty01 qwerty007 asdasd asdasd123 qweqwe qweqweqwe zxczxc zzzzzz
zzzzzzzz xxxxxxxx qqqqqq qqqqqqqq wwwwww 1qaz1qaz 2wsx2wsx q1q1q1q1 a1a1a1 aa1234 ab1234 ab123456 abc123abc
123abc123 abcde abcde12345 abcd abcdefg1 1234abc 4321 54321 7654321 87654321a 12345678a 12345678q 1234567a
1234567890q 0000000 00000 000 0000000000 1111111111 123456789012 147147 159159 258258 369369 123789 135790
246810 13579 02468 112211 121121 123321a 102030 101010 202020 303030 1a2a3a 696969a 6969 69696969 420420 420
blazeit weed marijuana ganja kush stoner dope high smoke cannabis hello12 hello1234 hellohello hi hey hola
bonjour ciao aloha salut hallo privet welcome2 welcome01 letmein123 letmein! openup open opensesame sesame
access1 access123 entry enter1 enter123 gogogo goaway go letitbe getin getmein logmein iamthebest theman
thebest best number1 numberone winner1 champion champ legend legendary king queen prince1 princess12 god123
lord savior jesuslovesme godisgood prayer church bible angel123 devil satan lucifer hell demon evil killer123
death deadman dead zombie vampire ghost skull dragon2 dragons phoenix2 griffin wizard1 merlin1 magic magician
mystery secret2 hidden unknown nobody someone anyone everyone myself yourself me me123 mypass mypassword
mypassword1 password2023 password2024 password2025 password2022 password2021 password2020 pass2024 admin2024
admin1 admin12 admin1234 adminadmin administrator1 root123 rootroot toor123 sysadmin system system1 server
server1 network oracle mysql postgres database sql linux ubuntu debian windows windows10 microsoft apple1
macbook iphone android google yahoo hotmail gmail facebook twitter instagram tiktok youtube netflix amazon
ebay paypal skype whatsapp snapchat spotify discord reddit internet1 computer2 laptop desktop keyboard mouse
monitor1 printer hacker hacked hacking cyber security secure firewall virus trojan matrix3 code coder
programmer developer java python javascript php ruby perl cobol charlie2 bailey1 buster1 buddy buddy1 rocky
rocky1 lucky lucky1 lucky7 lucky13 chance chance1 duke bandit bandit1 shadow2 smokey1 sparky1 spike rusty
rusty1 toby sadie sasha zoe zoey ginger2 coco lola bella bella1 luna lily1 oreo pepsi cocacola1 sprite fanta
redbull monster1 beer beer123 vodka whiskey tequila wine jackdaniels budweiser corona heineken guinness
marlboro1 camel newport cigar pizza pizza123 burger hotdog1 taco tacos nachos sushi pasta spaghetti cheese1
bacon steak chicken2 turkey sandwich cookie2 donut icecream popcorn candy1 lollipop skittles snickers twix
poohbear 1bitch fuckoff asshole1 bullshit shit shithead dickhead jackass idiot stupid dumbass loser loser1
sucker bitch bitch1 fucker fuckme1 sexy1 sexy123 sex sex123 hot hottie hotstuff sexsex naughty kinky horny
lover lover1 playboy player1 pimp pimpin gangster thug ghetto hustler baller money1 money123 cash dollar
dollars rich richard2 million billion bigmoney moneyman gold golden1 silver1 diamond1 platinum ruby1 emerald
sapphire pearl crystal2 blue blue123 red red123 green green123 black black123 white yellow1 purple1 pink
pink123 orange2 brown grey gray bluesky blackcat blackdog whitecat redrose redbird bluebird blackbird greenday
metallica nirvana ledzeppelin acdc ironmaiden slipknot linkinpark eminem tupac 2pac biggie drake beyonce
rihanna madonna britney justinbieber taylorswift onedirection beatles elvis elvispresley michaeljackson queen1
rockstar rocknroll rockandroll music music1 musica guitar1 piano drums drummer singer dance dancer dancing
ballet football2 basketball volleyball tennis1 golf golfing swimming running runner cycling skate skateboard
skater surf surfer surfing snowboard skiing hunting hunter2 fishing1 fisherman camping outdoor mountain river
ocean beach island paradise heaven1 nature forest garden flowers flower1 roses daisy1 tulip lily2 orchid
sunflower maple oak pine tree trees leaves grass
`;

export const COMMON_PASSWORDS: ReadonlySet<string> = new Set(LIST.split(/\s+/).filter((word) => word !== ''));
