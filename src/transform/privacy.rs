//! The personal-data policy of the datasets: phone numbers (and, later, e-mail addresses and
//! names) are replaced by a keyed hash by default (HMAC-SHA-256), so the same number gives the
//! same value across runs and tenants without being readable; `raw` keeps them (an explicit
//! opt-in) and `drop` leaves them null. Columns declared `[personal]` go through it when a batch is
//! built, so no source has to remember to.

use std::str::FromStr;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// What happens to personal data (phone numbers) in `contacts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PersonalData {
    /// Replaced by a keyed hash (default).
    #[default]
    Pseudonymize,
    /// Kept as the API returned it (explicit opt-in).
    Raw,
    /// Left out (null).
    Drop,
}

impl FromStr for PersonalData {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pseudonymize" => Ok(Self::Pseudonymize),
            "raw" => Ok(Self::Raw),
            "drop" => Ok(Self::Drop),
            other => Err(format!(
                "{other:?} is not one of \"pseudonymize\", \"raw\", \"drop\""
            )),
        }
    }
}

/// Applies the personal-data policy to one value.
#[derive(Clone)]
pub struct Pseudonymizer {
    mode: PersonalData,
    /// The HMAC keyed once: keying hashes the key, which cost more than hashing a phone number.
    keyed: Option<Hmac<Sha256>>,
}

impl Pseudonymizer {
    /// A policy; `key` is required for `Pseudonymize`.
    pub fn new(mode: PersonalData, key: Option<SecretString>) -> Result<Self, String> {
        if mode == PersonalData::Pseudonymize
            && key.as_ref().is_none_or(|k| k.expose_secret().len() < 16)
        {
            return Err(
                "pseudonymising phone numbers needs a key of at least 16 characters".into(),
            );
        }
        let keyed = key
            .as_ref()
            .and_then(|k| <Hmac<Sha256> as Mac>::new_from_slice(k.expose_secret().as_bytes()).ok());
        Ok(Self { mode, keyed })
    }

    /// The `drop` policy, which needs no key.
    pub fn dropping() -> Self {
        Self {
            mode: PersonalData::Drop,
            keyed: None,
        }
    }

    /// The value to store.
    pub fn apply(&self, value: Option<&str>) -> Option<String> {
        let mut pseudonym = [0; PSEUDONYM_LEN];
        self.apply_with(value, &mut pseudonym).map(str::to_string)
    }

    /// The value to store, a pseudonym written into `buffer` (no allocation: a column of them
    /// is built straight from it).
    pub fn apply_with<'v>(
        &self,
        value: Option<&'v str>,
        buffer: &'v mut [u8; PSEUDONYM_LEN],
    ) -> Option<&'v str> {
        let value = value?;
        match self.mode {
            PersonalData::Raw => Some(value),
            PersonalData::Drop => None,
            PersonalData::Pseudonymize => {
                let mut mac = self.keyed.clone()?;
                mac.update(value.as_bytes());
                let digest = mac.finalize().into_bytes();
                const DIGITS: &[u8; 16] = b"0123456789abcdef";
                buffer[..2].copy_from_slice(b"h:");
                for (pair, b) in buffer[2..].chunks_exact_mut(2).zip(&digest[..16]) {
                    pair[0] = DIGITS[usize::from(b >> 4)];
                    pair[1] = DIGITS[usize::from(b & 0x0f)];
                }
                std::str::from_utf8(buffer).ok()
            }
        }
    }
}

/// The length of a pseudonym: `h:` and 32 hex digits (the first 128 bits of the HMAC).
pub const PSEUDONYM_LEN: usize = 34;

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo() -> Pseudonymizer {
        Pseudonymizer::new(
            PersonalData::Pseudonymize,
            Some(SecretString::from("a-test-key-of-some-length".to_string())),
        )
        .unwrap()
    }

    #[test]
    fn personal_data_policies() {
        let a = pseudo().apply(Some("tel:+15145550100"));
        // HMAC-SHA-256 of the number under the key, first 16 bytes in hex (Python's hmac module
        // gives the same): the value every earlier partition holds.
        assert_eq!(a.as_deref(), Some("h:34eb3cbff3b16173838b1889507a00a7"));
        assert_eq!(
            a,
            pseudo().apply(Some("tel:+15145550100")),
            "stable across runs"
        );
        let other_key = Pseudonymizer::new(
            PersonalData::Pseudonymize,
            Some(SecretString::from("another-key-entirely".to_string())),
        )
        .unwrap();
        assert_ne!(a, other_key.apply(Some("tel:+15145550100")));
        assert_eq!(
            Pseudonymizer::new(PersonalData::Raw, None)
                .unwrap()
                .apply(Some("x")),
            Some("x".into())
        );
        assert_eq!(
            Pseudonymizer::new(PersonalData::Drop, None)
                .unwrap()
                .apply(Some("x")),
            None
        );
        assert!(Pseudonymizer::new(PersonalData::Pseudonymize, None).is_err());
    }
}
