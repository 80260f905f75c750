/**
 * The project's podcast user-agent rules: which app, browser, bot or pre-loader sends which user
 * agent. Derived from the facts in the OPAWG podcast user-agents list v2
 * (https://github.com/opawg/user-agents-v2, MIT), snapshot of 2026-08-06 (commit 8008a31); the
 * rules and their grouping are written for this project, not copied from it. First match wins, so
 * order matters: pre-loaders, then bots that look like apps, then apps that look like bots, then
 * generic bot words, then apps and player libraries, then browsers. Update: add a rule where its
 * group begins, then run `npx tsx test/bench/podcast-agents-agreement.ts <opawg folder> --misses`
 * and `test/unit/podcast-agents.test.ts`.
 */

/** `preloader`: fetches on behalf of a paired device (Apple Watch sync), not a listen (IAB v2.3 §5.5.2 Step 1.2 item 7). */
export type AgentKind = 'app' | 'browser' | 'bot' | 'preloader';

/** [kind, name, pattern source, flags]. */
export type AgentRule = readonly [AgentKind, string, string, string?];

/** Where the rules come from, for reports and the README. */
export const AGENT_RULES_SOURCE = {
  list: 'OPAWG podcast user-agents v2 (github.com/opawg/user-agents-v2), MIT',
  snapshot: '2026-08-06',
  commit: '8008a31',
} as const;

const PRELOADERS: readonly AgentRule[] = [['preloader', 'Apple Watch sync (atc)', '^atc/|\\(null\\)(/\\(null\\))? watchOS/']];

/** Bots whose user agent has an app's shape (a name, CFNetwork, a version) or an app's name. */
const BOTS_FIRST: readonly AgentRule[] = [
  ['bot', 'Overcast feed crawler', '^Overcast/1\\.0 Podcast Sync'],
  ['bot', 'Overcast transcriber', '^Overcast(%20| )Transcriber/'],
  ['bot', 'Apple share sheets and notes', '^(SharingUIService|ShareSheetUI|com\\.apple\\.(mobilenotes|Notes)\\.Shar)'],
  ['bot', 'Podcast Archiver', '^Podcast%20Archiver/|^podcast-archiver/v\\d'],
  ['bot', 'Facebook crawlers', 'facebookexternalua|facebookplatform/|acebookexternalhit'],
  ['bot', 'Google crawlers', 'google-xrawler|^Google-Safety|^GoogleOther'],
  ['bot', 'Headliner preview', '^Headliner/[\\d.]+ +\\+?https://headliner\\.app$'],
  ['bot', 'Podcast Index classifier', '^PodcastIndex Classifier'],
  ['bot', 'Ceramic Terracotta', 'TerraCotta https://'],
  ['bot', 'Mechanize', 'Mechanize/'],
  ['bot', 'Podchaser parser', '^PodchaserParser/'],
  ['bot', 'Podvine crawler', '^PodvineBot/'],
  ['bot', 'Radioline monitoring', '^Radioline Stream Monitoring'],
  ['bot', 'RSS Radio crawler', '^RSSRadio \\('],
  ['bot', 'Podgrab', '^Podgrab$'],
  ['bot', 'Podcatcher bot', '^Podcatcher Bot'],
  ['bot', 'atheerfm', '^atheerfm/'],
  ['bot', 'Apple podcast checks', 'iTMS|itunesstored|^itms'],
  ['bot', 'Jamit crawler', '^Jamit/1\\.0$'],
  ['bot', 'Goodpods crawler', '^Goodpods/\\d+\\.\\d+$'],
  ['bot', 'Spotify cache', '^Spotify/1\\.0$'],
  ['bot', 'SiriusXM crawlers', '^SiriusXM/(RSS|STT)'],
  ['bot', 'SoundOn crawler', '^SoundOn/[\\d.]+\\s+\\(bot'],
  ['bot', 'PlayerFM / Beacon / DeepCast / UCast sync', '^(PlayerFM|Beacon|DeepCast|UCast)/[\\d.]+ .*Sync|^Beacon/\\d|^UCast/'],
  ['bot', 'Feedly fetcher', '^Feedly/1\\.0 \\('],
  ['bot', 'Podcast Index', '^Podcastindex\\.org/|\\(PodcastIndex\\.org\\)|PodcastIndexManage', 'i'],
  ['bot', 'Pocket Casts feed parser', 'Pocket ?Casts Feed Parser', 'i'],
  ['bot', 'Podbean feed reader', '^PodbeanFeedReader|^Podbean Importer'],
  ['bot', 'Podverse feed parser', '^Podverse/Feed Parser'],
  ['bot', 'Mozilla without a browser', "^'?Mozilla(/5\\.0(\\.\\.\\.)?)?$|^\\(Mozilla/5\\.0\\)$"],
  ['bot', 'Metacast crawler', '^Metacast/.* Crawler'],
  ['bot', 'Bullhorn crawler', '^BullhornCrawler/'],
  ['bot', 'Listen Notes', '^ListenNotes/3\\.0 \\('],
  ['bot', 'Amazon podcast services', '^Amazon Music Podcast|^AmazonNewsContentService|^amazon-Quick'],
  ['bot', 'Google services', 'Google-Podcast|Google-NotebookLM|^GoogleAgent-|Mediapartners-Google|AdsBot-Google|Google-AdWords|Google-Speech-Actions-Bot'],
  ['bot', 'Googlebot', 'Googlebot|^Feed[Ff]etcher'],
  ['bot', 'Facebook crawler', 'FacebookBot|facebookexternalhit|^podcastbot$|Facebot|facebookcatalog'],
  ['bot', 'Microsoft Office', 'ms-office; MSOffice'],
  ['bot', 'Windows PowerShell', 'PowerShell/'],
];

/** Apps whose user agent has a bot's word or shape in it (a URL, "download", a single name). */
const APPS_FIRST: readonly AgentRule[] = [
  ['app', 'Overcast', '^Overcast([/ ]|$)|^Watch/\\d+ CFNetwork/'],
  ['app', 'Pocket Casts', '^(Shifty Jelly )?Pocket( |%20)?Casts|^PocketCasts/| PocketCasts/\\d'],
  ['app', 'gPodder', 'gpodder', 'i'],
  ['app', 'Fountain', '^Fountain|^fountainapp/\\d'],
  ['app', 'Castro', '^Castro[/ ]'],
  [
    'app',
    'Amazon Music and Alexa',
    '^AmazonMusic|^Harley/\\d|^AlexaMediaPlayer/|^Echo/|^AlexaService/|^Alexa Mobile Voice/|^Amazon;|^AmazonAVS/|^AvsDeviceSdk/',
  ],
  ['app', 'YouTube Music', '^(com\\.google\\.(android\\.apps|ios)\\.youtube\\.?music|app\\.revanced\\.android\\.apps\\.youtube\\.music)/|^YouTube ?Music/\\d'],
  ['app', 'TuneIn', '^TuneIn| TuneIn/'],
  ['app', 'Stitcher', '^Stitcher( Demo)?/'],
  ['app', 'Google Podcasts and Google app', 'GoogleChirp|^GooglePodcasts/|^Podcasts$|GSA/'],
  ['app', 'Podbean', '^Podbean/'],
  ['app', 'Podcast Addict', '^Podcast ?Addict'],
  ['app', 'AntennaPod', '^AntennaPod/|^de\\.danoeh\\.antennapod/|^antenna/'],
  ['app', 'Spotify', '^Spotify/\\d|^spotify_|^Spotify-Lite|Spotify/\\d'],
  ['app', 'Bullhorn', '^Bullhorn(/|$| \\()'],
  ['app', 'Anytime', '^Anytime/.*amugofjava'],
  ['app', 'AudioWave', '^AudioWave(/1| iOS)'],
  ['app', 'audiobookshelf', '^audiobookshelf'],
  ['app', 'Brink', '^Brink/'],
  ['app', 'Headliner player', '^Headliner/.*\\(Headliner-'],
  ['app', 'FeedStation', '^FeedStation/\\d'],
  ['app', 'GoldenPod', '^GoldenPod/'],
  ['app', 'Iframely', 'Iframely/'],
  ['app', 'Snapchat proxy', 's~snapchat-proxy'],
  ['app', 'HermesPod', 'hermespod\\.com/'],
  ['app', 'Vo', '^Vo/'],
  ['app', 'Upcast and Updates', '^Up(cast|dates)/\\d'],
  ['app', 'Wavlake', '^Wavlake/'],
  ['app', 'Jam', '^Jam/\\d.*listentojam'],
  ['app', 'Momo', '^Momo-Podcast/'],
  ['app', 'The Podcast App', '^ThePodcastApp|The Podcast App/|com\\.evolve\\.podcast/|^podcast/\\d|^TPA(-Wear)?/\\d'],
  ['app', 'Car Curious', '^CarCurious/'],
  ['app', 'Castria', '^Castria/\\d'],
  ['app', 'Cooler', '^CoolerFM/'],
  ['app', 'cliamp and CPod and castero', '^cliamp/|CPod/|^castero \\d'],
  ['app', 'Flux', '^Flux Entertainment Center/'],
  [
    'app',
    'Podcast Guru and similar with URLs',
    '^(PodcastGuru|Podcast Guru|Podfriend|Podverse|Podnews|Podcasts On Air|Podurama|PodLP|Pinecast)( |/)(?!Importer|Feed)',
  ],
  [
    'app',
    'Apps named Downloader',
    '^[\\w%]*Download(er)?[\\w%]*/[\\d.]+ CFNetwork/|^Download Shuttle/|^APKXDL|^FDM[/ ]|^StorytelDownloader/|^IDownloader|^iDownloader|KaiOS Downloader|^FileDownloader\\b|^PRDownloader$',
  ],
  ['app', 'Storytel', '^Storytel/\\d'],
  ['app', 'Spotify Connect speakers and TVs', ';tpapi;'],
  ['app', 'Apps with OkHttp on Android', 'Android.*\\) OkHttp/'],
  ['app', 'Tweetbot', '^Tweetbot/'],
  ['app', 'RSS Demon', 'com\\.meecel\\.feedreader'],
  ['app', 'Radio Downloader', 'for Radio Downloader'],
  ['app', 'Podchaser', '^Podchaser( \\(|-Parser)'],
  ['app', 'Radioline', '^Radioline'],
  ['app', 'SoundOn', '^SoundOn/[\\d.]+$|^SoundOn/[\\d.]+ \\((?!bot)'],
  ['app', 'RSS Radio', '^RSSRadio|^RSS Radio -'],
  ['app', 'Podcatcher', '^Podcatcher \\d'],
  ['app', 'Podgrab', '^Podgrab - '],
  ['app', 'Podcast Archiver app', '^Podcast-Archiver/\\d'],
  [
    'app',
    'Named podcast and radio apps',
    '^(Airr|Ampache/|ARD[- ]Audiothek|CampfireFM|cz\\.ceskeappky|DAN Podcast|doubleTwist|Downcast/|TheEconomist-|URL/Emacs|FB4A/|facebook-mobile|FocusPodcast_|Guardian Podcast|HyperCatcher|com\\.IDEngineering|JamxFeeds|Saavn|Microsoft-Windows-XP/.*River|Juice/|KajabiPodcast|KidsPod|lesindesradios|Lisny|Megaphone\\.fm|Mimir-|Miro/|Moon ?FM|MusicBee|myTuner|NetNewsWire|Newsboat|Newsly|OpenStream|Outcast|Overhaul FM|PeaCast|phonostar|Playapod|Podcastly|Podcini|Swoot Agent|PodPuppy|PodQast|PodTrapper|Podvine/|Podyssey|pypodder|ReadYou|Storybutton|my\\.com\\.astro|TED |Turtlecast/|Ubook Player|BTWebClient|uTorrent|Xiaoyuzhou|Ya(ndex)?\\.Music|samsung-agent)',
    'i',
  ],
  ['app', 'Apple Podcasts', '^(Podcasts|Podcaster|Podcast|Balados|Podcasti|Podcastit|Podcasturi|Podcasty|Podkaster|Podcastok)/'],
  ['app', 'Apple HomePod', '^AirPodcasts/\\d|HomePod'],
  ['app', 'Garmin watches', '^Garmin '],
  [
    'app',
    'Single-name apps',
    '^(bPod|Jamit|Zeno|Sybel|Tumult|Hubhopper|TrueFans|RTL\\+|Shadow|Subcast|Vodacast|Storiyoh|Yapa|Sonos|AmazonMusic|Slack|ServeStream|Bubble|undici-app|sp-agent|telmate-audio-player|Dynamo|Breaker|Clementine|Godcaster|Treble|TREBLE)(\\b|$)',
  ],
];

/** Self-declared robots and tools: crawlers, importers, transcribers, downloaders, monitors, HTTP libraries. */
const BOTS: readonly AgentRule[] = [
  ['bot', 'bot, crawler or spider', 'bot\\b|bot/|bot[-_ ]|crawl|spider|scrap(e|er|ing)\\b|slurp|harvest', 'i'],
  [
    'bot',
    'feed and podcast tools',
    'fetch|feed ?(parser|reader|scanner|service|consumer|importer)|podcast[- ]?sync|import|transcri|download|archiv|monitor|validator|preview|analy[sz]er|checker|pipeline|worker|research|processor|sanity|uptime|headless|preflight|backfill|whisper|\\bstt\\b|backup|grabber|puller|renamer|catalog|indexer|translator|scanner|mirror|resolver|optimi[sz]ation|screenshot|tester|\\btest\\b|migration|collector|ingest',
    'i',
  ],
  [
    'bot',
    'podcast hosts and services',
    '^(7Siters|AAA|acast-tester|agma|AIS VirtualListener|AllEars|AnchorImport|atlas-|Audacy Creator|audioBoom|Audiomack Podcast|AutoHotkey|Barkrowler|bbot|beehiiv|Blubrry|bl\\.uk|Buck/|Buzzsprout|Captivate|Cartesia|CastFeedValidator|castget|Castnews|Castopod|clark-|clipgenie|CloudConvert|Cloudflare|ConduitMCP|ContentFlow|Deezer Podcasters|DIFTCL|Digg|fetch-container|FlexGet|Freewheel|fyyd|storagegw|gpt-in-mind|GuestPrimer|Gumball|iono/|IPFS Podcasting|Jaunt/|KutPod|Libsyn|LinkPreview|LinuxGetUrl|llmfeed|ltx71|lychee/|MagellanAI|Misskey/|CherryPick/|Iceshrimp/|gotosocial/|MetapodcastV2|n8n|newspaper/|OgScrper|OkDownload|OmnyStudio|op3-|Owler \\(|parc/|Pingdom|Podget$|Podgrab$|Podio/|Podcastics$|Podcst/|Podcorn/|PodcastStandard|PodOracle|Podtrac|pdrl\\.fm|PostRank|pyannote|Radioline|RadyoImporter|RedCircle|Rephonic|req/|Riddler|RSStT|rssfeedfetcher|RSSRadio \\(|RStudio|runpod|sciis|Screaming Frog|SearchAtlas|Simplecast$|Slackbot|slopsearch|SoundMadeSeen|Speechmatics|SPoRC|spotify-rss|Stitcher ?Bot|SubstackContent|SupportingCast|swiperight|Taddy|Tiny Tiny RSS|TranscribeServer|Transistor\\.fm|Trackable/|Triton Digital|truename|Turnitin|Twitterbot|Typhoeus|UniversalFeedParser|teeming|TelegramBot|Transmission/|vercel-|veritone|WordPress|weborama|ZDM/|yacybot|yushi|Zapier$|Zencastr|podwords|Podmon|PodhoundBeta|podnods|Podcatcher Bot|PodcastDL|podcastdl|Podchaser|PodcastPipeline|podcast-|PodcastWorker|PodcastFeed|PodCloud|poddl|PandoraRSS|Pinecast/Importer|NovaStreamLive|MauiBot|msnbot|datagnion|Datagnion|Mechanize|INA dlweb|Podscribe|Adswizz-podscribe|PodscanBot|PodvineBot|Podlexicon|Libsyn4)',
    'i',
  ],
  [
    'bot',
    'web services',
    'archive\\.org|Archive-It|web\\.archive|comscore|Dataprovider\\.com|cs\\.daum\\.net|dorada|HTTrack|HubSpot|Twingly|TTD-Content|wsrv\\.nl|Yahoo! Slurp|YandexBot|Bytespider|ClaudeBot|GPTBot|PetalBot|Neevabot|MJ12bot|NetcraftSurvey|NL-Israel|LAC_IAHarvester|Timpibot|TrendsmapResolver|Serendeputy|AhrefsBot|AliyunSecBot|Alignabot|AwarioSmartBot|DataForSeoBot|DotBot|DuckDuckBot|SemrushBot|SEMrushBot|Applebot|ce\\.baidu\\.com|qiniu.*spider|\\.snap\\.com/robots|speechischeap|sbintuitions|Mastodon/|http\\.rb/|headline\\.com|podtail\\.com|feedspot|FlipboardProxy|HeadlessChrome|PaperLiBot|VurblBot|Crowli/|Audioscrape/|RidderBot|kidou-|PlayNext/|^playnext-|PodSearcher|PodUptime|Spider/\\d|pods3-|Reference Finder|SummarizeCasts|WhisperProxy|AccountingPodcast|AudioFetcher|data-pipeline|public-episode|private-podcast|Bingbot|bingbot|BingPreview|adidxbot|MSN|Libsyn',
    'i',
  ],
  [
    'bot',
    'HTTP libraries and command-line tools',
    '^(curl|libcurl|PycURL|Wget|wget|python-requests|Python/\\d.*aiohttp|Apache-HttpClient|aria2/|AHC/|axios/|Bun/|CarrierWave/|colly|Dart/|Deno/|Down/\\d|Lavf/|git-annex|Go-http-client|got[/ ]|GuzzleHttp|hackney/|HTTP-Tiny|http\\.rb|net/http-easy|Java(-http-client)?/\\d|lua-resty|node-fetch|okhttp|python-httpx|go-resty|resty-requests|rest-client|Scrapy|Symfony HttpClient|undici$|Python-urllib|python-urllib3|LWP::|libwww-perl)| curl/|libwww-perl|request\\.js|Wget',
    'i',
  ],
];

/** Browsers: tried after the apps that embed one (in-app browsers) and before the generic app shapes. */
const BROWSERS: readonly AgentRule[] = [['browser', 'Web browser', '^Mozilla/[45]\\.0 \\(|^Opera/|^NCSA Mosaic/|^DuckDuckGo/|Safari/|Firefox/|Chrome/|Edg/']];

/** Listener apps: player names, Android and iOS app shapes, players' media libraries, smart speakers and TVs. */
const APPS: readonly AgentRule[] = [
  [
    'app',
    'In-app browsers (Facebook, Instagram, TikTok, news apps, …)',
    'FBAN|FBAV|FB_IAB|MetaIAB|WebAppManager|KajabiMobileApp|Pandora/|theathletic|; wv\\)|Metacast/|^mowPod/|^Repod/|^DRN1;|Instagram|musical_ly|BytedanceWebview|AppleNews|Flipboard| XING|Snapchat|LinkedInApp|Pinterest|Twitter for i|Line/\\d|KAKAOTALK|WhatsApp|Thunderbird|Electron/|KAIOS/|DoggCatcher|BeyondPod|CrKey|Fuchsia|GoogleTV|Roku|Sonos|PlayStation|Xbox|Nintendo',
  ],
  ...BROWSERS,
  ['app', 'iOS and macOS apps (name/version CFNetwork)', 'CFNetwork/|Darwin/\\d'],
  [
    'app',
    'Android apps (ExoPlayer, Media3, Dalvik, Cronet)',
    'ExoPlayer|AndroidXMedia3|Dalvik|Cronet|stagefright|\\(Linux; ?(U; )?Android|Android[ /]\\d|android|Android',
  ],
  ['app', 'Apple CoreMedia players', '^AppleCoreMedia(/|$)'],
  [
    'app',
    'Desktop and embedded players',
    '^(iTunes|VLC|NSPlayer|Windows-Media-Player|WinampMPEG|Winamp|foobar2000|Audacious|gvfs|rhythmbox|amarok|GStreamer|libsoup|Zune|Roku|Bose|sony_tv|Cinemo|Kodi|mpv|MPlayer|Lavf|libmpv|Music Player Daemon|Rhythmbox|Clementine|Strawberry|Lollypop|Quod Libet|gnome-podcasts|Kasts|Vocal|Podcasts for GNOME|SoundWaves|VictorReader|EMAudioPlayer|ExoMedia|just_audio|assets_audio_player|react-native-track-player|Armadillo|ESP32 HTTP Client|ktor-client|reqwest|bruno-runtime|Android\\.LVLDM|SafariViewService|AndroidDownloadManager|Ruby)',
    'i',
  ],
  [
    'app',
    'Apps with a name, a version and a platform',
    '^[^/()]{2,60}/[\\w.-]+ ?\\((iPhone|iPad|iOS|Linux;|Android|Windows|Macintosh|Phone)|\\b(iOS|iPadOS|iPhone|Android|watchOS|tvOS)\\b',
  ],
];

/** Every rule, in the order they are tried. */
export const AGENT_RULES: readonly AgentRule[] = [...PRELOADERS, ...BOTS_FIRST, ...APPS_FIRST, ...BOTS, ...APPS];
