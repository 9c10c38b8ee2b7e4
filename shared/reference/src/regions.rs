//! Guizhou's administrative divisions (GB/T 2260), loaded from the operator-updatable data
//! file `data/guizhou-divisions.csv`, for validating the region of a request (A11).

use std::collections::HashMap;

/// A division's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Province,
    Prefecture,
    County,
    Township,
}

impl Level {
    /// Every level, from the province down.
    pub const ALL: [Level; 4] = [
        Level::Province,
        Level::Prefecture,
        Level::County,
        Level::Township,
    ];

    /// The level's code in data files and on the wire: `province`, `prefecture`,
    /// `county`, `township`.
    pub fn code(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::Prefecture => "prefecture",
            Level::County => "county",
            Level::Township => "township",
        }
    }

    /// The level with that code.
    pub fn from_code(code: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|level| level.code() == code)
    }
}

/// One division.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent: Option<String>,
}

/// The catalogue of known divisions.
#[derive(Debug, Clone, Default)]
pub struct Regions {
    by_code: HashMap<String, Division>,
}

/// The data file is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("divisions data line {line}: {reason}")]
pub struct RegionsError {
    pub line: usize,
    pub reason: String,
}

/// The data shipped with the code (an operator can point the service at a newer file).
pub const BUNDLED: &str = include_str!("../../../data/guizhou-divisions.csv");

impl Regions {
    pub fn bundled() -> Result<Self, RegionsError> {
        Self::from_csv(BUNDLED)
    }

    /// Parse `code,name,level,parent_code` lines (with a header).
    pub fn from_csv(text: &str) -> Result<Self, RegionsError> {
        let mut by_code = HashMap::new();
        for (i, line) in text.lines().enumerate().skip(1) {
            let line_no = i + 1;
            if line.trim().is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.split(',').map(str::trim).collect();
            let err = |reason: &str| RegionsError {
                line: line_no,
                reason: reason.to_owned(),
            };
            if cols.len() != 4 {
                return Err(err("expected 4 columns"));
            }
            let level = match cols[2] {
                "province" => Level::Province,
                "prefecture" => Level::Prefecture,
                "county" => Level::County,
                "township" => Level::Township,
                _ => return Err(err("unknown level")),
            };
            if !cols[0].bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("code must be digits"));
            }
            let division = Division {
                code: cols[0].to_owned(),
                name: cols[1].to_owned(),
                level,
                parent: (!cols[3].is_empty()).then(|| cols[3].to_owned()),
            };
            by_code.insert(division.code.clone(), division);
        }
        Ok(Self { by_code })
    }

    pub fn get(&self, code: &str) -> Option<&Division> {
        self.by_code.get(code)
    }

    /// A 6-digit code of the province, a prefecture or a county (the levels an order's
    /// region is recorded at; township codes have 9 digits).
    pub fn is_known_region(&self, code: &str) -> bool {
        code.len() == 6 && self.by_code.contains_key(code)
    }

    /// The division one level up (a county's prefecture, a township's county); `None`
    /// for the province.
    pub fn parent_of(&self, code: &str) -> Option<&Division> {
        self.get(code)
            .and_then(|d| d.parent.as_deref())
            .and_then(|p| self.get(p))
    }

    /// Every division of a level, in code order.
    pub fn at_level(&self, level: Level) -> Vec<&Division> {
        let mut v: Vec<&Division> = self.by_code.values().filter(|d| d.level == level).collect();
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    }

    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_data_has_guizhou() {
        let r = Regions::bundled().unwrap();
        assert_eq!(r.get("520000").unwrap().name, "贵州省");
        assert_eq!(r.get("520102").unwrap().level, Level::County);
        assert!(r.is_known_region("520102"));
        assert!(!r.is_known_region("110101"));
        assert!(r.len() > 1500);
    }
}
