//! The `serde_json` floor under ccetl's details parsing: how many conversations a second one core
//! parses from the same pages, (1) as ccetl reads them (its `JsonCursor` into the flat
//! `ConversationPage`, the conversation members kept for `extra` included), before any row is
//! built, (2) with `serde_json` into owned structs of the same shape without the catch-all
//! `extra` map, and (3) with `serde_json` into borrowed structs holding only the fields a
//! `contacts` row needs. `scripts/bench-cpu.sh` dumps the pages from the simulator and prints
//! these next to ccetl's conversations per CPU-second.
//!
//! Usage: `cargo run --release --example details_parse_floor -- PAGES_DIR [ROUNDS]`

use std::borrow::Cow;
use std::time::Instant;

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OwnedPage {
    #[serde(default)]
    conversations: Vec<OwnedConversation>,
    #[serde(default)]
    total_hits: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct OwnedConversation {
    conversation_id: String,
    conversation_start: Option<String>,
    conversation_end: Option<String>,
    originating_direction: Option<String>,
    #[serde(default)]
    participants: Vec<OwnedParticipant>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct OwnedParticipant {
    purpose: Option<String>,
    user_id: Option<String>,
    #[serde(default)]
    sessions: Vec<OwnedSession>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct OwnedSession {
    media_type: Option<String>,
    ani: Option<String>,
    dnis: Option<String>,
    #[serde(default)]
    segments: Vec<OwnedSegment>,
    #[serde(default)]
    metrics: Vec<OwnedMetric>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct OwnedSegment {
    segment_start: Option<String>,
    segment_type: Option<String>,
    queue_id: Option<String>,
    wrap_up_code: Option<String>,
    disconnect_type: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct OwnedMetric {
    name: String,
    #[serde(default)]
    value: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BorrowedPage<'a> {
    #[serde(default, borrow)]
    conversations: Vec<BorrowedConversation<'a>>,
    #[serde(default)]
    total_hits: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct BorrowedConversation<'a> {
    #[serde(borrow)]
    conversation_id: Cow<'a, str>,
    #[serde(borrow)]
    conversation_start: Option<Cow<'a, str>>,
    #[serde(borrow)]
    conversation_end: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    participants: Vec<BorrowedParticipant<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct BorrowedParticipant<'a> {
    #[serde(borrow)]
    purpose: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    sessions: Vec<BorrowedSession<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct BorrowedSession<'a> {
    #[serde(borrow)]
    media_type: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    segments: Vec<BorrowedSegment<'a>>,
    #[serde(default, borrow)]
    metrics: Vec<BorrowedMetric<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct BorrowedSegment<'a> {
    #[serde(borrow)]
    queue_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    wrap_up_code: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct BorrowedMetric<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(default)]
    value: f64,
}

/// Conversations a second over `rounds` passes of `parse` over every page.
fn rate(
    pages: &[Vec<u8>],
    rounds: u32,
    parse: impl Fn(&[u8]) -> serde_json::Result<usize>,
) -> serde_json::Result<(usize, f64)> {
    let started = Instant::now();
    let mut conversations = 0;
    for _ in 0..rounds {
        for page in pages {
            conversations += parse(page)?;
        }
    }
    let per_round = conversations / rounds.max(1) as usize;
    Ok((
        per_round,
        conversations as f64 / started.elapsed().as_secs_f64(),
    ))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .ok_or("usage: details_parse_floor PAGES_DIR [ROUNDS]")?;
    let rounds: u32 = args.next().map(|r| r.parse()).transpose()?.unwrap_or(5);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    paths.sort();
    let pages: Vec<Vec<u8>> = paths.iter().map(std::fs::read).collect::<Result<_, _>>()?;
    let bytes: usize = pages.iter().map(Vec::len).sum();
    // `total_hits` is read so that no variant skips it; a page without it counts for nothing.
    // What ccetl itself does.
    let (n, ccetl_read) = rate(&pages, rounds, |p| {
        ccetl::sources::genesys::conversation_page::read_conversation_page(p, |page| {
            page.conversations.len() * usize::from(page.total_hits.is_some())
        })
    })?;
    let (_, owned) = rate(&pages, rounds, |p| {
        let page: OwnedPage = serde_json::from_slice(p)?;
        Ok(page.conversations.len() * usize::from(page.total_hits.is_some()))
    })?;
    let (_, borrowed) = rate(&pages, rounds, |p| {
        let page: BorrowedPage = serde_json::from_slice(p)?;
        Ok(page.conversations.len() * usize::from(page.total_hits.is_some()))
    })?;
    println!(
        "pages {} bytes {} conversations {n} rounds {rounds}",
        pages.len(),
        bytes
    );
    println!("ccetl_read_per_s {ccetl_read:.0}");
    println!("owned_same_shape_per_s {owned:.0}");
    println!("borrowed_row_fields_per_s {borrowed:.0}");
    Ok(())
}
