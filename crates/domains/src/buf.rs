//! A fixed-size stack buffer for building short strings without allocating.

/// Longest host name we handle in ASCII form (RFC 1035 limit is 253).
pub(crate) const CAP: usize = 256;

/// A byte buffer on the stack holding ASCII (or at least valid UTF-8) text.
pub(crate) struct Buf {
    data: [u8; CAP],
    len: usize,
}

impl Buf {
    /// An empty buffer.
    #[inline]
    pub(crate) fn new() -> Self {
        Buf { data: [0; CAP], len: 0 }
    }

    /// Empties the buffer.
    #[inline]
    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    /// Appends bytes; returns false (and leaves the buffer unchanged) when they do not fit.
    #[inline]
    pub(crate) fn push_bytes(&mut self, b: &[u8]) -> bool {
        let end = self.len + b.len();
        if end > CAP {
            return false;
        }
        self.data[self.len..end].copy_from_slice(b);
        self.len = end;
        true
    }

    /// Appends one byte; returns false when it does not fit.
    #[inline]
    pub(crate) fn push(&mut self, b: u8) -> bool {
        if self.len >= CAP {
            return false;
        }
        self.data[self.len] = b;
        self.len += 1;
        true
    }

    /// Number of bytes held.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The bytes held.
    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.data[..self.len]
    }

    /// The text held. Callers only push whole UTF-8 sequences (in practice ASCII), so this
    /// never fails; a defensive empty string is returned otherwise.
    #[inline]
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }
}
