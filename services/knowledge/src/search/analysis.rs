//! Chinese text analysis, shared by indexing, querying and confidence.
//!
//! Two analyses of the same text, each a tantivy tokenizer:
//!
//! - **Words** ([`WordTokenizer`], `zh_words`): jieba in search mode (a long word also
//!   yields its dictionary sub-words: 社会保险 → 社会, 保险, 社会保险), full-width
//!   letters and digits folded to ASCII and lower-cased, punctuation and [`STOP_WORDS`]
//!   dropped. Precise; it carries most of the ranking.
//! - **Bigrams** ([`BigramTokenizer`], `zh_bigrams`): overlapping pairs of Chinese
//!   characters (runs of letters or digits whole). It matches however jieba splits a
//!   name or a colloquial phrase (提取公积金 vs 公积金怎么取), at a lower weight.
//!
//! Offsets are byte offsets in the original text, so highlighting marks the original.

use std::collections::HashSet;
use std::sync::LazyLock;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Name of the word tokenizer in the index.
pub const WORDS: &str = "zh_words";
/// Name of the bigram tokenizer in the index.
pub const BIGRAMS: &str = "zh_bigrams";

/// One segmenter: loading jieba's dictionary takes about 0.1 s, so it is done once.
static JIEBA: LazyLock<Jieba> = LazyLock::new(|| {
    let mut jieba = Jieba::new();
    // Hotline words jieba's general dictionary splits or lacks.
    for word in DOMAIN_WORDS {
        jieba.add_word(word, Some(20_000), None);
    }
    jieba
});

/// Words the segmenter keeps whole (government-service vocabulary).
#[rustfmt::skip]
const DOMAIN_WORDS: &[&str] = &[
    "社保", "社保卡", "医保", "医保卡", "公积金", "住房公积金", "居住证", "身份证",
    "户口本", "户籍", "落户", "准生证", "出生医学证明", "不动产", "不动产证", "房产证",
    "驾驶证", "行驶证", "网约车", "出租车", "营业执照", "个体户", "电动车", "电瓶车",
    "养老金", "退休金", "失业金", "低保", "特困", "医疗救助", "异地就医", "门诊",
    "慢特病", "城乡居民", "灵活就业", "欠薪", "拖欠工资", "劳动仲裁", "12315",
    "水费", "电费", "燃气", "天然气", "物业费", "维修资金", "学位", "入学", "转学",
    "学籍", "助学贷款", "义务教育", "核酸", "疫苗", "预防接种", "退役军人", "残疾证",
    "护照", "港澳通行证", "出入境", "交通违法", "违章", "年检", "车辆年检", "公交卡",
    "生育津贴", "产假", "工伤", "生育保险", "失业保险", "断缴", "补缴", "转移接续",
];

/// Words that say nothing about which article is meant: function words, question words,
/// politeness and hotline boilerplate (我想问一下, 请问, 怎么办).
#[rustfmt::skip]
pub const STOP_WORDS: &[&str] = &[
    "的", "了", "着", "过", "地", "得", "之", "其", "该", "此", "这", "那", "这个", "那个",
    "我", "我们", "我家", "你", "你们", "他", "她", "他们", "它", "自己", "本人", "在", "是",
    "有", "和", "与", "及", "或", "把", "被", "给", "让", "从", "到", "对", "向", "为", "以",
    "也", "都", "又", "还", "就", "才", "但", "但是", "吗", "呢", "吧", "啊", "呀", "嘛",
    "么", "啦", "哦", "嗯", "什么", "怎么", "怎么样", "怎样", "如何", "为什么", "哪里",
    "哪儿", "哪些", "多少", "几", "一下", "一个", "请问", "问", "问问", "想", "想问",
    "咨询", "您好", "你好", "麻烦", "谢谢", "要", "需要", "能", "能不能", "可以", "可不可以",
    "会", "会不会", "应该", "怎么办", "办", "一般", "现在", "目前", "已经", "如果", "请",
    "个", "些", "上", "里", "中", "下", "时候", "呃", "那么", "这么", "还是", "是不是",
];

static STOP: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| STOP_WORDS.iter().copied().collect());

/// Load the dictionary now (at start) rather than on the first request.
pub fn warm_up() {
    LazyLock::force(&JIEBA);
    LazyLock::force(&STOP);
}

/// Full-width ASCII to half-width, upper to lower case.
pub fn fold(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    };
    c.to_ascii_lowercase()
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

fn is_word_char(c: char) -> bool {
    is_han(c) || c.is_alphanumeric()
}

/// One term of an analysed text: its normalised form and where it is in the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub text: String,
    pub from: usize,
    pub to: usize,
}

/// `text` folded ([`fold`]), with the original byte offset of every folded byte offset
/// (and of the end), so terms found in the folded text point at the original.
fn folded(text: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len() + 1);
    for (at, c) in text.char_indices() {
        let f = fold(c);
        for _ in 0..f.len_utf8() {
            origin.push(at);
        }
        out.push(f);
    }
    origin.push(text.len());
    (out, origin)
}

/// The content words of `text` (jieba search mode, folded, no punctuation or stop words).
pub fn words(text: &str) -> Vec<Term> {
    let (folded, origin) = folded(text);
    JIEBA
        .cut_for_search(&folded, true)
        .into_iter()
        .filter_map(|token| {
            let word = token.word.trim();
            if word.is_empty() || !word.chars().any(is_word_char) || STOP.contains(word) {
                return None;
            }
            Some(Term {
                text: word.to_owned(),
                from: origin.get(token.byte_start).copied().unwrap_or(text.len()),
                to: origin.get(token.byte_end).copied().unwrap_or(text.len()),
            })
        })
        .collect()
}

/// Overlapping Chinese character pairs, and runs of letters or digits whole.
pub fn bigrams(text: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let end_of = |i: usize| chars.get(i + 1).map_or(text.len(), |(at, _)| *at);
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        if is_han(c) {
            if let Some(&(_, next)) = chars.get(i + 1)
                && is_han(next)
            {
                terms.push(Term {
                    text: [c, next].iter().collect(),
                    from: start,
                    to: end_of(i + 1),
                });
            }
            i += 1;
        } else if fold(c).is_ascii_alphanumeric() {
            let mut j = i;
            let mut run = String::new();
            while j < chars.len() && fold(chars[j].1).is_ascii_alphanumeric() {
                run.push(fold(chars[j].1));
                j += 1;
            }
            terms.push(Term {
                text: run,
                from: start,
                to: end_of(j - 1),
            });
            i = j;
        } else {
            i += 1;
        }
    }
    terms
}

/// A token stream over precomputed terms.
#[derive(Debug)]
pub struct TermStream {
    tokens: std::vec::IntoIter<Token>,
    current: Token,
}

impl TermStream {
    fn new(terms: Vec<Term>) -> Self {
        let tokens: Vec<Token> = terms
            .into_iter()
            .enumerate()
            .map(|(position, term)| Token {
                offset_from: term.from,
                offset_to: term.to,
                position,
                text: term.text,
                position_length: 1,
            })
            .collect();
        Self {
            tokens: tokens.into_iter(),
            current: Token::default(),
        }
    }
}

impl TokenStream for TermStream {
    fn advance(&mut self) -> bool {
        match self.tokens.next() {
            Some(token) => {
                self.current = token;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

/// [`words`] as a tantivy tokenizer.
#[derive(Debug, Clone, Default)]
pub struct WordTokenizer;

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = TermStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> TermStream {
        TermStream::new(words(text))
    }
}

/// [`bigrams`] as a tantivy tokenizer.
#[derive(Debug, Clone, Default)]
pub struct BigramTokenizer;

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = TermStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> TermStream {
        TermStream::new(bigrams(text))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn texts(terms: Vec<Term>) -> Vec<String> {
        terms.into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn words_drop_question_words_and_keep_the_matter() {
        let got = texts(words("请问一下，社保卡丢了怎么办？"));
        assert!(got.contains(&"社保卡".to_owned()), "{got:?}");
        assert!(got.contains(&"丢".to_owned()), "{got:?}");
        for stop in ["请问", "怎么办", "一下", "，"] {
            assert!(!got.contains(&stop.to_owned()), "{stop} in {got:?}");
        }
    }

    #[test]
    fn search_mode_also_yields_the_parts_of_long_words() {
        let got = texts(words("住房公积金"));
        assert!(got.contains(&"住房公积金".to_owned()), "{got:?}");
        assert!(got.contains(&"公积金".to_owned()), "{got:?}");
    }

    #[test]
    fn full_width_letters_and_digits_fold_to_ascii() {
        assert_eq!(texts(bigrams("ＥＴＣ办理12315")), ["etc", "办理", "12315"]);
        let got = texts(words("ＥＴＣ"));
        assert_eq!(got, ["etc"]);
    }

    #[test]
    fn bigrams_pair_chinese_characters_and_point_at_the_original() {
        let text = "公积金，提取";
        let got = bigrams(text);
        assert_eq!(texts(got.clone()), ["公积", "积金", "提取"]);
        assert_eq!(&text[got[2].from..got[2].to], "提取");
    }

    proptest! {
        #[test]
        fn offsets_always_cut_the_original_at_char_boundaries(text in "\\PC{0,80}") {
            for term in words(&text).into_iter().chain(bigrams(&text)) {
                prop_assert!(text.get(term.from..term.to).is_some());
                prop_assert!(!term.text.is_empty());
            }
        }
    }
}
