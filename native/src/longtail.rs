//! The detector's long tail: a decaying Count-Min sketch of real-valued shares.
//!
//! The sketch of `detectors.longtail.DecayingCountMin`: a `depth x width`
//! table of exponentially decaying sums, each tag hashed to one cell per row
//! with CRC-32 of a one-byte salt (none for row 0) and its UTF-8 bytes, modulo
//! `width`; a tag's estimate is the minimum of its cells, divided early on by
//! `1 - (1 - alpha)^steps` (the bias of a mean started at zero). Updates add
//! `alpha * value` to each cell in the order given, so that the sums are the
//! same, bit for bit, as the Python reference's (`tests/oracles/longtail.py`).
//!
//! Values can also be *deferred* (`defer`) and added later in one `commit`,
//! in the order they were deferred: the shares of a moment's long-tail
//! windows are known one by one, and go into the sketch once it is complete.
//!
//! A tag can be taken out (`take`: its estimate, then its minimum subtracted
//! from each of its cells) and put back (`put`: a share added so that the
//! estimate reads it): the surge scorer takes a tag out when it gives it a
//! state of its own and puts back what the state learnt when it evicts it, so
//! that a tag's share is in the sketch or in its state, never in both.

/// Rows at most (one salt each).
pub const MAX_DEPTH: usize = 8;
const MAGIC: &[u8; 4] = b"TWL1";

/// A `depth x width` table of decaying sums (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct DecayingCountMin {
    pub width: usize,
    pub depth: usize,
    pub alpha: f64,
    pub steps: u64,
    table: Vec<f64>,
    pending_cells: Vec<u32>,
    pending_values: Vec<f64>,
}

impl DecayingCountMin {
    /// A zeroed sketch; `width >= 1`, `1 <= depth <= 8`, `0 < alpha <= 1` (checked by the caller).
    pub fn new(width: usize, depth: usize, alpha: f64) -> Self {
        DecayingCountMin {
            width,
            depth,
            alpha,
            steps: 0,
            table: vec![0.0; width * depth],
            pending_cells: Vec::new(),
            pending_values: Vec::new(),
        }
    }

    /// A sketch from its parts (a table of `depth * width` cells, row after row).
    pub fn from_table(
        width: usize,
        depth: usize,
        alpha: f64,
        table: Vec<f64>,
        steps: u64,
    ) -> Option<Self> {
        (table.len() == width * depth).then_some(DecayingCountMin {
            width,
            depth,
            alpha,
            steps,
            table,
            pending_cells: Vec::new(),
            pending_values: Vec::new(),
        })
    }

    /// The column of `key` in each row.
    pub fn cells<'a>(&'a self, key: &'a str) -> impl Iterator<Item = usize> + 'a {
        (0..self.depth).map(move |row| {
            let mut hasher = crc32fast::Hasher::new();
            if row > 0 {
                hasher.update(&[row as u8]);
            }
            hasher.update(key.as_bytes());
            hasher.finalize() as usize % self.width
        })
    }

    fn add(&mut self, row: usize, col: usize, value: f64) {
        self.table[row * self.width + col] += self.alpha * value;
    }

    /// Adds `alpha * value` to the cells of `key`.
    pub fn update(&mut self, key: &str, value: f64) {
        let cols: Vec<usize> = self.cells(key).collect();
        for (row, col) in cols.into_iter().enumerate() {
            self.add(row, col, value);
        }
    }

    /// Keeps `value` of `key` for the next `commit`.
    pub fn defer(&mut self, key: &str, value: f64) {
        let cols: Vec<u32> = self.cells(key).map(|c| c as u32).collect();
        self.pending_cells.extend(cols);
        self.pending_values.push(value);
    }

    /// Values deferred and not committed yet.
    pub fn deferred(&self) -> usize {
        self.pending_values.len()
    }

    /// Adds every deferred value, in the order deferred.
    pub fn commit(&mut self) {
        let cells = std::mem::take(&mut self.pending_cells);
        let values = std::mem::take(&mut self.pending_values);
        for (cols, value) in cells.chunks(self.depth).zip(values) {
            for (row, &col) in cols.iter().enumerate() {
                self.add(row, col as usize, value);
            }
        }
    }

    /// Lets `steps` time steps pass: every cell shrinks by `(1 - alpha)^steps`.
    pub fn decay(&mut self, steps: u64) {
        if steps > 0 {
            let factor = (1.0 - self.alpha).powf(steps as f64);
            self.table.iter_mut().for_each(|cell| *cell *= factor);
            self.steps += steps;
        }
    }

    /// The smallest of the cells of `key`.
    fn low(&self, key: &str) -> f64 {
        self.cells(key)
            .enumerate()
            .map(|(row, col)| self.table[row * self.width + col])
            .fold(
                f64::INFINITY,
                |low, cell| if cell < low { cell } else { low },
            )
    }

    /// What `get` divides the minimum by: the share of its final weight a sum started at zero
    /// has reached, `1 - (1 - alpha)^steps` (at least `alpha`), or 1 once `20 / alpha` steps passed.
    pub fn warmth(&self) -> f64 {
        let full = (20.0 / self.alpha) as u64;
        if self.steps < full {
            let warmth = 1.0 - (1.0 - self.alpha).powf(self.steps.max(1) as f64);
            warmth.max(self.alpha)
        } else {
            1.0
        }
    }

    /// The estimate of `key`: the minimum of its cells, bias-corrected while young.
    pub fn get(&self, key: &str) -> f64 {
        self.low(key) / self.warmth()
    }

    /// Takes `key` out: returns its estimate (`get`) and subtracts the minimum of its cells from
    /// each of them, so that its estimate is 0 after (a cell equal to the minimum becomes 0, an
    /// infinite one too; the others stay above 0). Values deferred and not committed are not touched.
    pub fn take(&mut self, key: &str) -> f64 {
        let low = self.low(key);
        let estimate = low / self.warmth();
        let cols: Vec<usize> = self.cells(key).collect();
        for (row, col) in cols.into_iter().enumerate() {
            let cell = &mut self.table[row * self.width + col];
            *cell = if *cell == low { 0.0 } else { *cell - low };
        }
        estimate
    }

    /// Puts `share` into `key`'s estimate: adds `share * warmth()` to its cells, so that `get`
    /// reads `share` more for it now (what `take` took out comes back this way). A share that is
    /// not a finite number is dropped.
    pub fn put(&mut self, key: &str, share: f64) {
        if !share.is_finite() {
            return;
        }
        let value = share * self.warmth();
        let cols: Vec<usize> = self.cells(key).collect();
        for (row, col) in cols.into_iter().enumerate() {
            self.table[row * self.width + col] += value;
        }
    }

    /// Memory of the table, in bytes.
    pub fn nbytes(&self) -> usize {
        self.table.len() * 8
    }

    /// The whole sketch as bytes (deferred values included).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(48 + self.table.len() * 8);
        out.extend_from_slice(MAGIC);
        for n in [
            self.width as u64,
            self.depth as u64,
            self.alpha.to_bits(),
            self.steps,
        ] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        out.extend_from_slice(&(self.pending_values.len() as u64).to_le_bytes());
        self.table
            .iter()
            .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
        self.pending_cells
            .iter()
            .for_each(|c| out.extend_from_slice(&c.to_le_bytes()));
        self.pending_values
            .iter()
            .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
        out
    }

    /// A sketch from `to_bytes`.
    pub fn from_bytes(data: &[u8]) -> Result<Self, String> {
        let bad = || "not a long-tail sketch state".to_string();
        let mut reader = Reader { data, at: 0 };
        if reader.take(4).ok_or_else(bad)? != MAGIC {
            return Err(bad());
        }
        let mut head = [0u64; 5];
        for slot in head.iter_mut() {
            *slot = reader.u64().ok_or_else(bad)?;
        }
        let [width, depth, alpha, steps, pending] = head;
        let (width, depth, alpha) = (width as usize, depth as usize, f64::from_bits(alpha));
        if width == 0 || depth == 0 || depth > MAX_DEPTH || !(alpha > 0.0 && alpha <= 1.0) {
            return Err(bad());
        }
        let cells = width.checked_mul(depth).ok_or_else(bad)?;
        let pending = pending as usize;
        let expected = cells
            .checked_mul(8)
            .and_then(|t| {
                pending
                    .checked_mul(depth * 4 + 8)
                    .and_then(|p| t.checked_add(p))
            })
            .ok_or_else(bad)?;
        if reader.rest() != expected {
            return Err(bad());
        }
        let table = (0..cells)
            .map(|_| reader.f64())
            .collect::<Option<Vec<f64>>>()
            .ok_or_else(bad)?;
        let pending_cells = (0..pending * depth)
            .map(|_| reader.u32())
            .collect::<Option<Vec<u32>>>()
            .ok_or_else(bad)?;
        if pending_cells.iter().any(|&c| c as usize >= width) {
            return Err(bad());
        }
        let pending_values = (0..pending)
            .map(|_| reader.f64())
            .collect::<Option<Vec<f64>>>()
            .ok_or_else(bad)?;
        Ok(DecayingCountMin {
            width,
            depth,
            alpha,
            steps,
            table,
            pending_cells,
            pending_values,
        })
    }
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let out = self.data.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(out)
    }

    fn rest(&self) -> usize {
        self.data.len() - self.at
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn f64(&mut self) -> Option<f64> {
        self.u64().map(f64::from_bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_decay_and_bias_correction() {
        let mut cms = DecayingCountMin::new(64, 2, 0.5);
        cms.update("a", 0.2);
        cms.update("b", 0.4);
        assert_eq!(
            (cms.get("a"), cms.get("b"), cms.get("never-seen")),
            (0.2, 0.4, 0.0)
        );
        cms.decay(1);
        assert_eq!(cms.get("b"), 0.2);
        assert_eq!(cms.nbytes(), 1024);
    }

    #[test]
    fn take_removes_an_estimate_and_put_brings_it_back() {
        let mut cms = DecayingCountMin::new(4, 2, 0.5);
        cms.decay(1); // young: estimates are divided by the warmth, 0.5
        cms.update("a", 0.2);
        cms.update("b", 0.4);
        let (a, b) = (cms.get("a"), cms.get("b"));
        assert_eq!(cms.take("a"), a);
        assert_eq!(cms.get("a"), 0.0);
        assert!(cms.get("b") > 0.0 && cms.get("b") <= b); // a collision can share a cell
        assert!(cms.table.iter().all(|&cell| cell >= 0.0));
        cms.put("a", a);
        assert!((cms.get("a") - a).abs() < 1e-15, "{}", cms.get("a"));
        cms.put("a", f64::NAN);
        assert!(cms.table.iter().all(|cell| cell.is_finite()));
        let mut blown = DecayingCountMin::new(4, 1, 0.5);
        blown.update("a", f64::INFINITY);
        assert_eq!((blown.take("a"), blown.get("a")), (f64::INFINITY, 0.0));
    }

    #[test]
    fn cells_are_crc32_of_salt_and_key() {
        let cms = DecayingCountMin::new(1 << 14, 2, 0.01);
        let cols: Vec<usize> = cms.cells("fyp").collect();
        assert_eq!(cols[0], crc32fast::hash(b"fyp") as usize % (1 << 14));
        assert_eq!(cols[1], crc32fast::hash(b"\x01fyp") as usize % (1 << 14));
    }

    #[test]
    fn deferred_values_commit_in_order_and_round_trip() {
        let mut direct = DecayingCountMin::new(16, 3, 0.1);
        let mut deferred = direct.clone();
        for (key, value) in [("a", 0.1), ("b", 0.3), ("a", 0.7)] {
            direct.update(key, value);
            deferred.defer(key, value);
        }
        let state = DecayingCountMin::from_bytes(&deferred.to_bytes()).unwrap();
        assert_eq!(state, deferred);
        deferred.commit();
        assert_eq!(deferred, direct);
        assert!(DecayingCountMin::from_bytes(b"TWL1").is_err());
        assert!(DecayingCountMin::from_bytes(&state.to_bytes()[..60]).is_err());
    }
}
