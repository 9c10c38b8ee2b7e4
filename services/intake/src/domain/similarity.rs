//! Repeat detection's pure part (A10.3): how alike two matters are, and how an earlier order
//! scores as the original of a new request.
//!
//! A10.3: a request that repeats one in progress or done, with no new facts or reasons, is
//! not handled again; the requester is told the earlier order's progress and the new order
//! is linked to it. Agents decide on the phone and in chat, from a ranked list of candidates;
//! a web message is linked by rule only when the score leaves no doubt. This module
//! measures; [`crate::repeats`] finds the candidates in the database.
//!
//! # Matter similarity: Jaccard over words and character bigrams
//!
//! 1. Normalise: full-width letters and digits to ASCII, lower case; cut out the names of
//!    Guizhou's province, prefectures and counties (from `hotline_reference`), because the
//!    region is compared by its code and an agent's summary names it where a citizen's
//!    message does not.
//! 2. Segment with jieba (one shared dictionary in a [`LazyLock`]); drop punctuation and the
//!    [`STOP_WORDS`] (function words, hotline boilerplate such as 来电人/反映/相关部门, and
//!    descriptive words any complaint uses, such as 影响/休息/没有通知); map a few colloquial
//!    variants to one form ([`VARIANTS`]: 没水 → 停水, 工钱 → 工资, 红绿灯 → 信号灯).
//! 3. Features: the remaining words, plus the character bigrams of each run of remaining
//!    Chinese text. Bigrams make a name match however jieba splits it (花果园 comes out as
//!    花/果园, 金阳新世界 as 金/阳新/世界) and catch paraphrases that share morphemes.
//! 4. Similarity: the Jaccard index of the two feature sets, in [0, 1].
//!
//! Why this and not something cleverer: matters are one or two sentences in which a word
//! rarely repeats, so counts add nothing over sets; and every weighting tried overfitted the
//! set it was tuned on. A topic lexicon that compared "what" (停水, 噪音) and "where" apart
//! gained 0.01 AUC on the development pairs and lost 0.2 on fresh ones (vocabulary it had
//! not seen made it score true repeats 0); IDF from the pairs themselves changed nothing;
//! jieba's own IDF table comes from general Chinese, where 停水 is rare and 国际 common,
//! the wrong way round here. The measurements are in `docs/repeat-detection.md`.
//!
//! # Score
//!
//! A candidate is an earlier order of the same requester (equal keyed phone hash) or of the
//! same place. Addresses are encrypted (A21), so "same place" is the same `region_code`
//! (county level), and where inside the county is judged from the matter text, which names
//! the estate, road or firm. The score is the similarity, discounted by
//! [`OTHER_REQUESTER_FACTOR`] for another requester's order: one person repeating themselves
//! is the common case, while two people in one county who describe alike matters are as
//! often neighbours with two problems. Outside the window (default
//! [`DEFAULT_WINDOW_DAYS`]; the caller's configuration decides) or with neither link, the
//! score is 0.
//!
//! Thresholds, from the measurements: [`CANDIDATE_THRESHOLD`] for the agent's list (recall
//! first: the agent decides) and [`AUTO_LINK_THRESHOLD`] for web messages, which are linked
//! without an agent only to the same requester's order ([`RepeatScore::auto_links`]).

use std::collections::HashSet;
use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};
use jieba_rs::Jieba;

/// Default look-back window for repeats (A10.3 does not fix one); the caller's
/// configuration decides.
pub const DEFAULT_WINDOW_DAYS: i64 = 30;

/// Score from which a web message is linked to the same requester's earlier order without an
/// agent (A10.3). Chosen for precision: no false link in 309 labelled pairs, at the price
/// of linking only near-verbatim repeats (see `docs/repeat-detection.md`).
pub const AUTO_LINK_THRESHOLD: f64 = 0.5;

/// Score from which an earlier order is shown to the agent as a possible original. Chosen
/// for recall, since the agent decides (see `docs/repeat-detection.md`).
pub const CANDIDATE_THRESHOLD: f64 = 0.15;

/// Discount of the similarity when the earlier order is another requester's (see the
/// module docs).
pub const OTHER_REQUESTER_FACTOR: f64 = 0.7;

/// One shared segmenter: loading jieba's dictionary takes about 0.1 s (release
/// build) and some tens of megabytes, so it is done once, on first use or [`warm_up`].
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Load the segmenter's dictionary now (at start-up) rather than on the first request.
pub fn warm_up() {
    LazyLock::force(&JIEBA);
    LazyLock::force(&REGION_NAMES);
}

/// Province, prefecture and county names, longest first (so 黔东南苗族侗族自治州 goes
/// before a shorter name inside it).
static REGION_NAMES: LazyLock<Vec<String>> = LazyLock::new(|| {
    use hotline_reference::{Level, Regions};
    // The bundled catalogue is compiled in and checked by its own tests; if it ever failed
    // to parse, similarity would only lose the name stripping, so no panic here.
    let Ok(regions) = Regions::bundled() else {
        return Vec::new();
    };
    let mut names: Vec<String> = [Level::Province, Level::Prefecture, Level::County]
        .into_iter()
        .flat_map(|level| regions.at_level(level))
        .map(|d| d.name.clone())
        .collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    names
});

/// Words that carry no information about which matter it is: function words, pronouns,
/// degree and time adverbs, the boilerplate of agents' summaries and citizens' messages, and
/// descriptive words that any complaint may use.
#[rustfmt::skip]
pub const STOP_WORDS: &[&str] = &[
    // function words and pronouns
    "的", "了", "着", "过", "地", "得", "之", "其", "该", "此", "某",
    "这", "那", "这个", "那个", "这家", "那家", "这边", "那边", "这里", "那里",
    "哪里", "我", "我们", "我家", "你", "你们", "他", "她", "他们", "它",
    "大家", "自己", "本人", "在", "是", "有", "和", "与", "及", "或", "把",
    "被", "给", "让", "从", "到", "对", "向", "为", "以", "由", "也",
    "都", "又", "还", "就", "才", "但", "但是", "而且", "并", "且", "因为",
    "所以", "如果", "吗", "呢", "吧", "啊", "呀", "嘛", "么", "啦", "哦",
    "嗯", "什么", "怎么", "如何", "怎样", "为什么", "一个", "一些", "有些", "个",
    "些", "里", "上", "中",
    // degree, frequency and time words
    "很", "太", "非常", "特别", "比较", "十分", "严重", "已经", "已", "一直",
    "现在", "目前", "至今", "还是", "仍", "仍然", "总是", "老是", "经常", "多次",
    "好几次", "每天", "天天", "一下", "之前", "以前", "上次", "刚才", "今天",
    "昨天", "最近",
    // boilerplate of summaries and messages
    "来电", "来电人", "人", "市民", "人称", "称", "反映", "投诉", "咨询", "举报",
    "建议", "请问", "请", "请求", "希望", "要求", "诉求", "帮忙", "帮助", "麻烦",
    "相关", "部门", "相关部门", "有关部门", "处理", "解决", "尽快", "及时", "落实",
    "核实", "核查", "查处", "查", "管", "管一管", "问题", "情况", "事", "事情",
    "关于", "说", "知道", "没人管", "没有人", "无人", "无果", "未果", "能不能",
    "可以", "能", "是否", "到底", "合理", "合法", "违规", "谢谢",
    // descriptive words that any complaint may use: they vary between two tellings of one
    // matter and coincide between two matters told alike
    "影响", "休息", "居民", "周边", "附近", "旁边", "门口", "每晚", "晚上",
    "白天", "一天", "两天", "几天", "好几天", "一周", "一个月", "半个月", "没有",
    "通知", "提前", "任何", "突然", "大量", "危险", "安全", "不安全", "隐患",
    "存在", "容易", "不敢", "不能", "不给", "不让", "不管", "根本", "好像",
    "怀疑", "发现", "出现", "发生", "导致", "造成", "开始", "持续", "超过",
    "以上", "以后", "之后", "由于", "经", "不", "没", "未", "无", "无法",
    "不了", "这样", "那样", "几次", "一次", "两次",
];

/// Colloquial variants mapped to one form, so that two tellings of one matter share their
/// words. Kept short on purpose: every entry must hold in any context.
pub const VARIANTS: &[(&str, &str)] = &[
    ("没水", "停水"),
    ("断水", "停水"),
    ("没水用", "停水"),
    ("噪声", "噪音"),
    ("吵", "噪音"),
    ("太吵", "噪音"),
    ("工钱", "工资"),
    ("薪水", "工资"),
    ("欠薪", "拖欠"),
    ("欠", "拖欠"),
    ("红绿灯", "信号灯"),
    ("交通信号灯", "信号灯"),
    ("房产证", "不动产权证"),
    ("不动产证", "不动产权证"),
    ("饭店", "餐馆"),
    ("饭馆", "餐馆"),
    ("公厕", "公共厕所"),
    ("保证金", "押金"),
    ("坏", "故障"),
    ("坏了", "故障"),
    ("黑", "不亮"),
];

static STOP: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| STOP_WORDS.iter().copied().collect());

/// A matter turned into features (see the module docs); build once, compare many times.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatterFeatures {
    /// Words (`w:` prefix) and character bigrams (`b:` prefix).
    features: HashSet<String>,
    words: Vec<String>,
}

impl MatterFeatures {
    /// Segment and featurise a matter.
    pub fn new(matter: &str) -> Self {
        let text = normalise(matter);
        let mut features = Self::default();
        let mut run = String::new();
        let mut runs = Vec::new();
        for token in JIEBA.cut(&text, true) {
            let word = canonical(token.word);
            if !word.chars().any(char::is_alphanumeric) || STOP.contains(word) {
                if !run.is_empty() {
                    runs.push(std::mem::take(&mut run));
                }
                continue;
            }
            // Single characters (花, 区, 水) match too many orders to look candidates up by.
            if word.chars().count() >= 2 && !features.words.iter().any(|w| w == word) {
                features.words.push(word.to_owned());
            }
            features.features.insert(format!("w:{word}"));
            if word.chars().all(is_han) {
                run.push_str(word);
            } else if !run.is_empty() {
                runs.push(std::mem::take(&mut run));
            }
        }
        if !run.is_empty() {
            runs.push(run);
        }
        for run in runs {
            let chars: Vec<char> = run.chars().collect();
            for pair in chars.windows(2) {
                let bigram: String = pair.iter().collect();
                features.features.insert(format!("b:{bigram}"));
            }
        }
        features
    }

    /// The distinct content words of two or more characters (after stop words and variants),
    /// in order of appearance: what [`crate::repeats`] stores to find candidates by a shared
    /// word.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// Every feature: the words with a `w:` prefix and the character bigrams with a `b:`
    /// prefix, in no particular order. Category suggestion ([`super::category_model`]) counts
    /// them, so both features share one segmentation.
    pub fn features(&self) -> impl Iterator<Item = &str> {
        self.features.iter().map(String::as_str)
    }

    /// Similarity in [0, 1]: the Jaccard index of the feature sets (see the module docs).
    pub fn similarity(&self, other: &Self) -> f64 {
        let union = self.features.union(&other.features).count();
        if union == 0 {
            return 0.0;
        }
        let shared = self.features.intersection(&other.features).count();
        // Lossless for any realistic feature count (< 2^52).
        #[allow(clippy::cast_precision_loss)]
        let index = shared as f64 / union as f64;
        index
    }
}

/// How alike two matters are, in [0, 1]; 1 for the same text (see the module docs).
pub fn matter_similarity(a: &str, b: &str) -> f64 {
    MatterFeatures::new(a).similarity(&MatterFeatures::new(b))
}

/// The facts of a request that repeat detection compares.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    pub features: &'a MatterFeatures,
    /// Keyed hash of the requester's phone (A21: never the number).
    pub phone_hash: Option<&'a str>,
    /// County-level region code (GB/T 2260).
    pub region_code: &'a str,
    pub registered_at: DateTime<Utc>,
}

/// How an earlier order scores as the original of a new request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RepeatScore {
    /// [`matter_similarity`] of the two matters.
    pub similarity: f64,
    /// The same requester: equal keyed phone hashes.
    pub same_requester: bool,
    /// The same place: the same region code (addresses are encrypted, see the module docs).
    pub same_place: bool,
    /// The combined score in [0, 1]; 0 outside the window or with neither link.
    pub score: f64,
}

impl RepeatScore {
    /// Whether a web message may be linked to this order without an agent (A10.3): only to
    /// the same requester's order, and only from [`AUTO_LINK_THRESHOLD`]. Another person's
    /// order is linked by an agent or not at all: without one, nobody checks that it really
    /// covers this requester's matter.
    pub fn auto_links(&self) -> bool {
        self.same_requester && self.score >= AUTO_LINK_THRESHOLD
    }

    /// Whether the order is shown to the agent as a possible original.
    pub fn is_candidate(&self) -> bool {
        self.score >= CANDIDATE_THRESHOLD
    }
}

/// Score `earlier` as the original of `new`: only orders registered within `window` before
/// `new` (not after it) count.
pub fn score(new: &RequestFacts<'_>, earlier: &RequestFacts<'_>, window: Duration) -> RepeatScore {
    let similarity = new.features.similarity(earlier.features);
    let same_requester = matches!(
        (new.phone_hash, earlier.phone_hash),
        (Some(a), Some(b)) if a == b
    );
    let same_place = new.region_code == earlier.region_code;
    let age = new.registered_at - earlier.registered_at;
    let in_window = age >= Duration::zero() && age <= window;
    let score = if !in_window || !(same_requester || same_place) {
        0.0
    } else if same_requester {
        similarity
    } else {
        similarity * OTHER_REQUESTER_FACTOR
    };
    RepeatScore {
        similarity,
        same_requester,
        same_place,
        score,
    }
}

fn normalise(matter: &str) -> String {
    let mut text: String = matter
        .chars()
        .map(|c| match c {
            // Full-width ASCII (Ａ, １, ．) to its half-width form.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect();
    for name in REGION_NAMES.iter() {
        if text.contains(name.as_str()) {
            text = text.replace(name.as_str(), "，");
        }
    }
    text
}

fn canonical(word: &str) -> &str {
    VARIANTS
        .iter()
        .find(|(variant, _)| *variant == word)
        .map_or(word, |(_, canonical)| canonical)
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn facts<'a>(
        features: &'a MatterFeatures,
        phone_hash: &'a str,
        region_code: &'a str,
        days_ago: i64,
    ) -> RequestFacts<'a> {
        let now = DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default();
        RequestFacts {
            features,
            phone_hash: Some(phone_hash),
            region_code,
            registered_at: now - Duration::days(days_ago),
        }
    }

    #[test]
    fn a_matter_is_wholly_similar_to_itself_and_not_at_all_to_nothing() {
        let m = "南明区花果园R区二期12栋从昨天早上开始停水，没有任何通知。";
        assert!((matter_similarity(m, m) - 1.0).abs() < 1e-12);
        assert!(matter_similarity(m, "").abs() < 1e-12);
        assert!(matter_similarity("", "").abs() < 1e-12);
        // Boilerplate and punctuation alone say nothing.
        assert!(
            matter_similarity("请相关部门尽快处理。", "来电人反映，希望尽快处理！").abs() < 1e-12
        );
    }

    #[test]
    fn region_names_width_case_and_boilerplate_do_not_matter() {
        let agent = "来电人反映：云岩区喷水池附近出租车拒载，车牌贵Ａ·Ｔ２Ｑ５８。请相关部门处理。";
        let citizen = "喷水池附近出租车拒载，车牌贵a·t2q58";
        assert!(
            (matter_similarity(agent, citizen) - 1.0).abs() < 1e-12,
            "{}",
            matter_similarity(agent, citizen)
        );
    }

    #[test]
    fn the_same_problem_in_another_estate_scores_below_a_paraphrase_of_it() {
        let earlier = "观山湖区中铁逸都国际A区停水，已经停了一整天。";
        let paraphrase = "中铁逸都国际A区全小区没水，从昨天到现在都没来水。";
        let elsewhere = "观山湖区金阳新世界B区停水，已经停了一整天。";
        assert!(matter_similarity(earlier, paraphrase) > matter_similarity(earlier, elsewhere));
    }

    #[test]
    fn variants_are_one_word() {
        assert_eq!(
            MatterFeatures::new("和平小区没水").words(),
            MatterFeatures::new("和平小区停水").words()
        );
    }

    #[test]
    fn the_same_requesters_order_scores_its_similarity_and_another_requesters_less() {
        let a = MatterFeatures::new("南明区青云路步行街每晚有人用大音响唱歌，一直吵到十一点多。");
        let b = MatterFeatures::new("青云路步行街每晚有人用大音响唱歌，吵到十一点多。");
        let new = facts(&b, "h1", "520102", 0);
        let mine = score(&new, &facts(&a, "h1", "520102", 3), Duration::days(30));
        assert!(mine.same_requester && mine.same_place);
        assert!((mine.score - mine.similarity).abs() < 1e-12);
        assert!(mine.auto_links(), "{mine:?}");
        let theirs = score(&new, &facts(&a, "h2", "520102", 3), Duration::days(30));
        assert!(!theirs.same_requester && theirs.same_place);
        assert!((theirs.score - mine.similarity * OTHER_REQUESTER_FACTOR).abs() < 1e-12);
        // Another requester's order is never linked without an agent.
        assert!(!theirs.auto_links());
        assert!(theirs.is_candidate());
    }

    #[test]
    fn orders_outside_the_window_or_without_a_link_score_zero() {
        let a = MatterFeatures::new("花溪区平桥小区旁边空地被人倾倒大量生活垃圾。");
        let new = facts(&a, "h1", "520111", 0);
        let window = Duration::days(30);
        assert!(score(&new, &facts(&a, "h1", "520111", 30), window).score > 0.99);
        assert!(
            score(&new, &facts(&a, "h1", "520111", 31), window)
                .score
                .abs()
                < 1e-12
        );
        // A later order is not an original.
        assert!(
            score(&new, &facts(&a, "h1", "520111", -1), window)
                .score
                .abs()
                < 1e-12
        );
        // Neither the requester nor the place.
        let other = score(&new, &facts(&a, "h2", "520102", 1), window);
        assert!(other.score.abs() < 1e-12 && other.similarity > 0.99);
        // The same requester elsewhere still counts.
        assert!(score(&new, &facts(&a, "h1", "520102", 1), window).score > 0.99);
        // No phone hash on either side is not "the same requester".
        let mut anonymous = facts(&a, "h1", "520102", 1);
        anonymous.phone_hash = None;
        let mut new_anonymous = new;
        new_anonymous.phone_hash = None;
        assert!(!score(&new_anonymous, &anonymous, window).same_requester);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn similarity_is_symmetric_and_between_zero_and_one(
            a in "[停水噪音物业电梯拖欠工资花果园小区二期栋路灯不亮的了，。 0-9A-Za-z]{0,40}",
            b in "[停水噪音物业电梯拖欠工资花果园小区二期栋路灯不亮的了，。 0-9A-Za-z]{0,40}",
        ) {
            let ab = matter_similarity(&a, &b);
            let ba = matter_similarity(&b, &a);
            prop_assert!((0.0..=1.0).contains(&ab));
            prop_assert!((ab - ba).abs() < 1e-12);
        }
    }
}
