//! Hot-spot detection's pure part (A17.4): which recent orders form a cluster of the same
//! matter in one region, which words the cluster may be described by, and which earlier
//! hot spot a cluster continues.
//!
//! A17.4: hot and hard problems that many people report, especially where responsibility
//! is unclear, are aggregated and reported to the government of the same level. Intake
//! finds the clusters (the text lives here); supervision adds who handles each order and
//! whether responsibility was clear, and reports (`docs/hotspots.md`).
//!
//! # Region
//!
//! An order's region is recorded at county level (registration refuses township codes:
//! the township belongs in the encrypted address). So orders are grouped by county, and a
//! cluster never spans two counties: two governments, two reports. Inside the county the
//! *place* is judged from the text, which names the street, estate or road. When most of a
//! cluster's requesters name the same township or street office of the catalogue (新华路街道)
//! in their matter, the hot spot is attributed to that township ([`Townships`]).
//!
//! # Clustering: density-based (DBSCAN) over the repeat detector's similarity
//!
//! Similarity is [`MatterFeatures::similarity`], the Jaccard index of words and character
//! bigrams used by repeat detection (measured in `docs/repeat-detection.md`). Two orders are
//! *neighbours* when their similarity is at least [`HotspotParams::similarity`]. An order
//! with at least [`HotspotParams::core_neighbours`] neighbours is a *core* order; a cluster is
//! a set of core orders connected through neighbour links, plus the non-core orders next to
//! one of them (DBSCAN with `eps = 1 − similarity`, `minPts = core_neighbours + 1`).
//!
//! Why not single-link (connected components of the neighbour graph): one loose pair is
//! enough to chain two unrelated clusters, or to grow a chain of unrelated orders that each
//! resemble the next one a little (停水 → 停水停电 → 停电 → 电梯停运 …). DBSCAN only links
//! through dense places, so such chains stop at their first non-core order. Why not
//! leader clustering (each order joins the first cluster leader it resembles): its result
//! depends on the order of the input and on which order happened to become the leader, so
//! a hot spot could change shape between two scans with the same orders. Here the input is
//! sorted by registration, and core orders and their connections do not depend on the
//! order; only a border order next to two clusters depends on it (it joins the older one).
//!
//! A cluster is a hot spot when its orders come from at least
//! [`HotspotParams::min_requesters`] **different requesters** (keyed phone hashes): A17.4
//! is about problems many people report, and one person's twenty messages are a repeat
//! (A10.3), not a hot spot.
//!
//! Cost: only pairs sharing a content word are compared (an inverted index of
//! [`MatterFeatures::words`]); comparing two feature sets takes about 1 µs.
//!
//! # Keywords without personal data (A21)
//!
//! The report describes the matter only by [`keywords`]: content words that at least
//! [`HotspotParams::keyword_share`] of the cluster's requesters, and at least
//! [`HotspotParams::keyword_min_requesters`] of them, used. This is a k-anonymity argument:
//! a word that many different people wrote independently (停水, 花果园, 电梯) describes the
//! public matter, not one of them; a name, phone number or ID written by one requester
//! cannot reach that count. Words containing a digit (house numbers, plates, phone numbers)
//! are left out however many people wrote them. The matter itself never leaves intake.
//!
//! # Stable ids
//!
//! A scan runs every few minutes over a sliding window; a growing cluster must update its
//! hot spot, not create another. [`continue_hotspots`] gives each cluster the earlier hot
//! spot that holds most of its orders (one hot spot per cluster, larger clusters choose
//! first); a cluster without one is a new hot spot.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use chrono::{DateTime, Utc};
use hotline_contract::events::{DayCount, HotspotLevel};
use hotline_reference::{Level, Regions};
use uuid::Uuid;

use super::number::local_day;
use super::similarity::MatterFeatures;

/// Default window of a scan, in days.
pub const DEFAULT_WINDOW_DAYS: i64 = 7;

/// The clustering's parameters (the defaults are documented in `docs/hotspots.md`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HotspotParams {
    /// Two orders are neighbours from this similarity on.
    pub similarity: f64,
    /// Neighbours an order needs to be a core order.
    pub core_neighbours: usize,
    /// Different requesters a cluster needs to be a hot spot.
    pub min_requesters: usize,
    /// Share of the cluster's requesters that must have used a keyword.
    pub keyword_share: f64,
    /// Requesters that must have used a keyword, at least.
    pub keyword_min_requesters: usize,
    /// Most keywords per hot spot.
    pub max_keywords: usize,
    /// Share of the cluster's requesters that must name a township for the hot spot to be
    /// attributed to it.
    pub township_share: f64,
}

impl Default for HotspotParams {
    fn default() -> Self {
        Self {
            similarity: 0.3,
            core_neighbours: 3,
            min_requesters: 10,
            keyword_share: 0.5,
            keyword_min_requesters: 5,
            max_keywords: 8,
            township_share: 0.5,
        }
    }
}

/// A recent order, as the scan sees it.
#[derive(Debug, Clone)]
pub struct ScannedOrder {
    pub order_id: Uuid,
    /// The county-level region code the order was registered with.
    pub region_code: String,
    pub registered_at: DateTime<Utc>,
    /// Who asked: the keyed phone hash (or anything unique to the order if there is none).
    pub requester: String,
    pub features: MatterFeatures,
    /// The township or street office of the county that the matter names, if any.
    pub township: Option<String>,
}

/// A cluster that is a hot spot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// Indices into the scanned orders, in input order.
    pub members: Vec<usize>,
    /// The county, or the township most requesters named.
    pub region_code: String,
    pub region_level: HotspotLevel,
    /// Different requesters among the members.
    pub requesters: usize,
    /// See [`keywords`].
    pub keywords: Vec<String>,
}

/// The townships and street offices of each county, by name, to find the one a matter
/// names.
#[derive(Debug, Clone, Default)]
pub struct Townships {
    by_county: HashMap<String, Vec<(String, String)>>,
}

impl Townships {
    /// From the division catalogue.
    pub fn from_regions(regions: &Regions) -> Self {
        let mut by_county: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for township in regions.at_level(Level::Township) {
            if let Some(county) = &township.parent {
                by_county
                    .entry(county.clone())
                    .or_default()
                    .push((township.code.clone(), township.name.clone()));
            }
        }
        for names in by_county.values_mut() {
            // The longest name first: 中华南路街道 before a shorter name inside it.
            names.sort_by_key(|(_, name)| std::cmp::Reverse(name.chars().count()));
        }
        Self { by_county }
    }

    /// The code of the township of `county` whose full name `matter` contains.
    pub fn named_in(&self, county: &str, matter: &str) -> Option<String> {
        self.by_county
            .get(county)?
            .iter()
            .find(|(_, name)| matter.contains(name.as_str()))
            .map(|(code, _)| code.clone())
    }
}

/// The clusters of `orders` that are hot spots (see the module docs), county by county in
/// code order, each county's clusters in the order of their oldest order.
pub fn find_clusters(orders: &[ScannedOrder], params: &HotspotParams) -> Vec<Cluster> {
    let mut counties: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, order) in orders.iter().enumerate() {
        counties.entry(&order.region_code).or_default().push(i);
    }
    let mut clusters = Vec::new();
    for (county, mut members) in counties {
        members.sort_by(|&a, &b| {
            (orders[a].registered_at, orders[a].order_id)
                .cmp(&(orders[b].registered_at, orders[b].order_id))
        });
        for group in dbscan(orders, &members, params) {
            let requesters = distinct_requesters(orders, &group);
            if requesters < params.min_requesters {
                continue;
            }
            let (region_code, region_level) = match township_of(orders, &group, params) {
                Some(code) => (code, HotspotLevel::Township),
                None => (county.to_owned(), HotspotLevel::County),
            };
            let keywords = keywords(orders, &group, params);
            let mut sorted = group;
            sorted.sort_unstable();
            clusters.push(Cluster {
                members: sorted,
                region_code,
                region_level,
                requesters,
                keywords,
            });
        }
    }
    clusters
}

/// DBSCAN over one county's orders (`members`, sorted by registration); each cluster's
/// members in the order they were reached.
fn dbscan(orders: &[ScannedOrder], members: &[usize], params: &HotspotParams) -> Vec<Vec<usize>> {
    let n = members.len();
    // Inverted index: only orders sharing a content word are compared.
    let mut by_word: HashMap<&str, Vec<usize>> = HashMap::new();
    for (local, &i) in members.iter().enumerate() {
        for word in orders[i].features.words() {
            by_word.entry(word.as_str()).or_default().push(local);
        }
    }
    let mut neighbours: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut compared: HashSet<(usize, usize)> = HashSet::new();
    for list in by_word.values() {
        for (k, &a) in list.iter().enumerate() {
            for &b in &list[k + 1..] {
                let pair = (a.min(b), a.max(b));
                if a == b || !compared.insert(pair) {
                    continue;
                }
                let similarity = orders[members[a]]
                    .features
                    .similarity(&orders[members[b]].features);
                if similarity >= params.similarity {
                    neighbours[a].push(b);
                    neighbours[b].push(a);
                }
            }
        }
    }
    for list in &mut neighbours {
        list.sort_unstable();
    }
    let core: Vec<bool> = neighbours
        .iter()
        .map(|list| list.len() >= params.core_neighbours)
        .collect();
    let mut label: Vec<Option<usize>> = vec![None; n];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for start in 0..n {
        if !core[start] || label[start].is_some() {
            continue;
        }
        let id = groups.len();
        let mut group = vec![members[start]];
        label[start] = Some(id);
        let mut queue = VecDeque::from([start]);
        while let Some(p) = queue.pop_front() {
            for &q in &neighbours[p] {
                if label[q].is_none() {
                    label[q] = Some(id);
                    group.push(members[q]);
                    // Only core orders extend the cluster; a border order ends it.
                    if core[q] {
                        queue.push_back(q);
                    }
                }
            }
        }
        groups.push(group);
    }
    groups
}

fn distinct_requesters(orders: &[ScannedOrder], group: &[usize]) -> usize {
    group
        .iter()
        .map(|&i| orders[i].requester.as_str())
        .collect::<HashSet<_>>()
        .len()
}

/// The township most of the cluster's requesters named, if at least
/// [`HotspotParams::township_share`] of them did.
fn township_of(orders: &[ScannedOrder], group: &[usize], params: &HotspotParams) -> Option<String> {
    let mut naming: BTreeMap<&str, HashSet<&str>> = BTreeMap::new();
    for &i in group {
        if let Some(code) = &orders[i].township {
            naming
                .entry(code.as_str())
                .or_default()
                .insert(orders[i].requester.as_str());
        }
    }
    let requesters = distinct_requesters(orders, group);
    let (code, named_by) = naming
        .into_iter()
        .max_by(|a, b| a.1.len().cmp(&b.1.len()).then(b.0.cmp(a.0)))?;
    at_least_share(named_by.len(), requesters, params.township_share).then(|| code.to_owned())
}

/// The words that may describe a cluster without personal data (see the module docs):
/// used by at least [`HotspotParams::keyword_share`] of its requesters and at least
/// [`HotspotParams::keyword_min_requesters`], without digits; the most shared first, at most
/// [`HotspotParams::max_keywords`].
pub fn keywords(orders: &[ScannedOrder], group: &[usize], params: &HotspotParams) -> Vec<String> {
    let requesters = distinct_requesters(orders, group);
    let mut users: HashMap<&str, HashSet<&str>> = HashMap::new();
    for &i in group {
        for word in orders[i].features.words() {
            users
                .entry(word.as_str())
                .or_default()
                .insert(orders[i].requester.as_str());
        }
    }
    let mut shared: Vec<(&str, usize)> = users
        .into_iter()
        .map(|(word, by)| (word, by.len()))
        .filter(|&(word, by)| {
            by >= params.keyword_min_requesters
                && at_least_share(by, requesters, params.keyword_share)
                && !word.chars().any(|c| c.is_ascii_digit() || c.is_numeric())
        })
        .collect();
    shared.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    shared
        .into_iter()
        .take(params.max_keywords)
        .map(|(word, _)| word.to_owned())
        .collect()
}

fn at_least_share(part: usize, whole: usize, share: f64) -> bool {
    // Counts are far below 2^52: exact as f64.
    #[allow(clippy::cast_precision_loss)]
    let (part, whole) = (part as f64, whole as f64);
    whole > 0.0 && part >= share * whole
}

/// For each cluster (its orders' ids), the earlier hot spot it continues: the one holding
/// most of its orders (`known`: order → hot spot), each hot spot continued by one cluster
/// at most, larger clusters choosing first; ties go to the smaller (older, UUIDv7) id.
pub fn continue_hotspots(clusters: &[Vec<Uuid>], known: &HashMap<Uuid, Uuid>) -> Vec<Option<Uuid>> {
    let mut by_size: Vec<usize> = (0..clusters.len()).collect();
    by_size.sort_by_key(|&c| (std::cmp::Reverse(clusters[c].len()), c));
    let mut claimed: HashSet<Uuid> = HashSet::new();
    let mut chosen = vec![None; clusters.len()];
    for c in by_size {
        let mut counts: BTreeMap<Uuid, usize> = BTreeMap::new();
        for order in &clusters[c] {
            if let Some(&hotspot) = known.get(order) {
                *counts.entry(hotspot).or_default() += 1;
            }
        }
        let best = counts
            .into_iter()
            .filter(|(hotspot, _)| !claimed.contains(hotspot))
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
        if let Some((hotspot, _)) = best {
            claimed.insert(hotspot);
            chosen[c] = Some(hotspot);
        }
    }
    chosen
}

/// Orders per Asia/Shanghai day, oldest day first.
pub fn trend(registered: impl IntoIterator<Item = DateTime<Utc>>) -> Vec<DayCount> {
    let mut days: BTreeMap<chrono::NaiveDate, u32> = BTreeMap::new();
    for at in registered {
        *days.entry(local_day(at)).or_default() += 1;
    }
    days.into_iter()
        .map(|(day, orders)| DayCount { day, orders })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    const COUNTY: &str = "520102";
    const OTHER_COUNTY: &str = "520103";

    /// The samples of `docs/data/hotspot-samples.csv` (shared with the integration and
    /// end-to-end tests).
    fn samples(group: &str) -> Vec<&'static str> {
        hotline_test_support::hotspot_matters(group)
    }

    fn street() -> Vec<&'static str> {
        samples("street")
    }

    fn regions() -> Regions {
        Regions::bundled().unwrap()
    }

    fn scanned(texts: &[&str], county: &str, requesters: &str) -> Vec<ScannedOrder> {
        let townships = Townships::from_regions(&regions());
        let start = Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap();
        texts
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let index = u128::try_from(i).unwrap();
                ScannedOrder {
                    order_id: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0000 + index),
                    region_code: county.to_owned(),
                    registered_at: start + Duration::hours(i64::try_from(i).unwrap() * 5),
                    requester: format!("{requesters}-{i}"),
                    features: MatterFeatures::new(text),
                    township: townships.named_in(county, text),
                }
            })
            .collect()
    }

    #[test]
    fn twenty_similar_complaints_in_one_street_are_one_hot_spot_of_that_street() {
        let orders = scanned(&street(), COUNTY, "r");
        let clusters = find_clusters(&orders, &HotspotParams::default());
        assert_eq!(clusters.len(), 1, "{clusters:?}");
        let cluster = &clusters[0];
        assert_eq!(cluster.members, (0..20).collect::<Vec<_>>());
        assert_eq!(cluster.requesters, 20);
        // 新华路街道 of 南明区.
        assert_eq!(cluster.region_code, "520102016");
        assert_eq!(cluster.region_level, HotspotLevel::Township);
        for word in ["垃圾站", "清运"] {
            assert!(
                cluster.keywords.iter().any(|k| k == word),
                "{:?}",
                cluster.keywords
            );
        }
    }

    #[test]
    fn twenty_unrelated_matters_are_no_hot_spot() {
        let orders = scanned(&samples("unrelated"), COUNTY, "r");
        assert!(find_clusters(&orders, &HotspotParams::default()).is_empty());
    }

    #[test]
    fn the_cluster_is_found_among_unrelated_orders_and_takes_none_of_them() {
        let mut texts: Vec<&str> = samples("unrelated");
        texts.extend(street());
        let orders = scanned(&texts, COUNTY, "r");
        let clusters = find_clusters(&orders, &HotspotParams::default());
        assert_eq!(clusters.len(), 1);
        assert_eq!(clusters[0].members, (20..40).collect::<Vec<_>>());
    }

    #[test]
    fn a_cluster_split_across_two_counties_is_two_hot_spots_or_none() {
        // Ten in each county: each half is large enough on its own.
        let mut orders = scanned(&street()[..10], COUNTY, "a");
        orders.extend(scanned(&street()[10..], OTHER_COUNTY, "b"));
        let clusters = find_clusters(&orders, &HotspotParams::default());
        assert_eq!(clusters.len(), 2, "{clusters:?}");
        assert_eq!(clusters[0].members, (0..10).collect::<Vec<_>>());
        assert_eq!(clusters[1].members, (10..20).collect::<Vec<_>>());
        // 南明区's street office is not 云岩区's: the second is the county's.
        assert_eq!(clusters[1].region_code, OTHER_COUNTY);
        assert_eq!(clusters[1].region_level, HotspotLevel::County);
        // Seven and seven: neither county has ten requesters.
        let mut orders = scanned(&street()[..7], COUNTY, "a");
        orders.extend(scanned(&street()[7..14], OTHER_COUNTY, "b"));
        assert!(find_clusters(&orders, &HotspotParams::default()).is_empty());
    }

    #[test]
    fn one_requester_repeating_a_matter_is_no_hot_spot() {
        let mut orders = scanned(&street(), COUNTY, "r");
        for order in &mut orders {
            order.requester = "the-same-phone-hash".to_owned();
        }
        assert!(find_clusters(&orders, &HotspotParams::default()).is_empty());
        // Nine people are not enough either; ten are.
        for (i, order) in orders.iter_mut().enumerate() {
            order.requester = format!("r{}", i % 9);
        }
        assert!(find_clusters(&orders, &HotspotParams::default()).is_empty());
        for (i, order) in orders.iter_mut().enumerate() {
            order.requester = format!("r{}", i % 10);
        }
        assert_eq!(find_clusters(&orders, &HotspotParams::default()).len(), 1);
    }

    #[test]
    fn a_name_or_phone_in_one_order_never_becomes_a_keyword() {
        let mut texts: Vec<String> = street().iter().map(|t| (*t).to_owned()).collect();
        texts[3] = format!("我是张三，电话13812345678，{}", texts[3]);
        // Even a name written by four different people is below the floor of five.
        for text in &mut texts[4..8] {
            *text = format!("王小明说{text}");
        }
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let orders = scanned(&refs, COUNTY, "r");
        let clusters = find_clusters(&orders, &HotspotParams::default());
        assert_eq!(clusters.len(), 1);
        let keywords = clusters[0].keywords.join("|");
        for private in ["张三", "13812345678", "王小明", "小明"] {
            assert!(!keywords.contains(private), "{keywords}");
        }
        assert!(!clusters[0].keywords.is_empty());
    }

    #[test]
    fn words_with_digits_are_never_keywords_however_many_wrote_them() {
        let texts: Vec<String> = street().iter().map(|t| format!("12栋门口，{t}")).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let orders = scanned(&refs, COUNTY, "r");
        let clusters = find_clusters(&orders, &HotspotParams::default());
        assert!(
            clusters[0]
                .keywords
                .iter()
                .all(|k| !k.chars().any(|c| c.is_ascii_digit())),
            "{:?}",
            clusters[0].keywords
        );
    }

    #[test]
    fn a_chain_of_orders_each_like_the_next_does_not_form_a_cluster() {
        // Order i tells matters i and i + 1: each resembles its two neighbours in the chain
        // and nothing else. Single-link would make one cluster of twelve requesters.
        let matters = [
            "花果园小区停水",
            "世纪城停电",
            "金阳新世界电梯故障",
            "中铁逸都物业乱收费",
            "未来方舟停车费上涨",
            "碧桂园消防通道被占",
            "青云路步行街噪音",
            "喷水池出租车拒载",
            "河滨公园流浪狗咬人",
            "中华北路路灯不亮",
            "网吧未成年人上网",
            "燃气公司抄表错误",
            "快递驿站丢失包裹",
        ];
        let texts: Vec<String> = matters
            .windows(2)
            .map(|pair| format!("{}，{}", pair[0], pair[1]))
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let orders = scanned(&refs, COUNTY, "r");
        // A lower neighbour threshold, so that every link of the chain counts.
        let params = HotspotParams {
            similarity: 0.2,
            ..HotspotParams::default()
        };
        for pair in orders.windows(2) {
            assert!(pair[0].features.similarity(&pair[1].features) >= params.similarity);
        }
        for (i, a) in orders.iter().enumerate() {
            for b in orders.iter().skip(i + 2) {
                let similarity = a.features.similarity(&b.features);
                assert!(similarity < params.similarity, "{i}: {similarity}");
            }
        }
        assert!(find_clusters(&orders, &params).is_empty());
        // The same orders with every link: one cluster.
        let dense = HotspotParams {
            core_neighbours: 1,
            ..params
        };
        assert_eq!(find_clusters(&orders, &dense).len(), 1);
    }

    #[test]
    fn a_growing_cluster_continues_its_hot_spot_and_a_new_one_gets_none() {
        let (h1, h2) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let o: Vec<Uuid> = (10..20).map(Uuid::from_u128).collect();
        let known = HashMap::from([(o[0], h1), (o[1], h1), (o[2], h2)]);
        let clusters = vec![
            vec![o[0], o[1], o[2], o[3]], // mostly h1's, plus one new order
            vec![o[4], o[5]],             // new
            vec![o[6], o[2]],             // h2's order, but h2 is not claimed yet
        ];
        assert_eq!(
            continue_hotspots(&clusters, &known),
            vec![Some(h1), None, Some(h2)]
        );
        // Two clusters want h1: the larger keeps it, the other is new.
        let known = HashMap::from([(o[0], h1), (o[1], h1), (o[2], h1)]);
        let clusters = vec![vec![o[0], o[5]], vec![o[1], o[2], o[6]]];
        assert_eq!(continue_hotspots(&clusters, &known), vec![None, Some(h1)]);
    }

    #[test]
    fn the_trend_counts_orders_per_shanghai_day() {
        let day = |d, h| Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap();
        // 17:00 UTC on the 1st is the 2nd in Guizhou.
        let trend = trend([day(1, 1), day(1, 17), day(2, 3), day(4, 3)]);
        let counts: Vec<(String, u32)> = trend
            .iter()
            .map(|d| (d.day.to_string(), d.orders))
            .collect();
        assert_eq!(
            counts,
            vec![
                ("2026-12-01".to_owned(), 1),
                ("2026-12-02".to_owned(), 2),
                ("2026-12-04".to_owned(), 1)
            ]
        );
    }

    #[test]
    fn townships_are_found_by_their_full_name_in_the_right_county() {
        let townships = Townships::from_regions(&regions());
        assert_eq!(
            townships.named_in(COUNTY, "新华路街道富水南路垃圾站"),
            Some("520102016".to_owned())
        );
        assert_eq!(townships.named_in(OTHER_COUNTY, "新华路街道富水南路"), None);
        assert_eq!(townships.named_in(COUNTY, "富水南路垃圾站"), None);
    }
}
