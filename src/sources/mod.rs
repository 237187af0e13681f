//! Vendor APIs. Each vendor has its own folder with the same file set (`regions`/discovery,
//! `model` for response types, `queries` for request bodies, and the source itself), and hands
//! typed responses to [`crate::transform`].

pub mod cxone;
pub mod genesys;
