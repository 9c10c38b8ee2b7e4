//! A small deterministic random generator (xorshift64) for tests that compare two ways of
//! doing one thing over many generated cases: the seed is in the test, so a failure can be
//! replayed exactly, and no crate is needed for it.

/// xorshift64 from a nonzero seed.
#[derive(Debug, Clone)]
pub struct Xorshift(pub u64);

impl Xorshift {
    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    /// `Some(value)` half of the time.
    pub fn maybe<T>(&mut self, value: T) -> Option<T> {
        (self.below(2) == 0).then_some(value)
    }
}
