//! The simulator's ground truth: a seeded, deterministic contact center.
//!
//! The same seed always gives the same org (queues, agents, wrap-up codes), and the same seed and
//! UTC day always give the same conversations, whatever was asked before. Every number the
//! simulator serves is computed from these conversations, so tests can recompute the truth on
//! their own and compare it with what landed in Parquet.

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, Utc, Weekday};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Media types the generator produces.
pub const MEDIA_TYPES: [&str; 4] = ["voice", "chat", "email", "message"];

/// A queue of the simulated org.
#[derive(Debug, Clone)]
pub struct SimQueue {
    /// Queue id (UUID).
    pub id: String,
    /// Queue name.
    pub name: &'static str,
    /// Indexes into [`Org::agents`] of the agents who take this queue's conversations.
    pub agents: Vec<usize>,
    /// Voice conversations on a weekday.
    pub daily_voice: u32,
    /// The queue's DNIS (number dialled).
    pub dnis: String,
}

/// An agent of the simulated org.
#[derive(Debug, Clone)]
pub struct SimAgent {
    /// User id (UUID).
    pub id: String,
    /// Display name.
    pub name: String,
}

/// The simulated org.
#[derive(Debug, Clone)]
pub struct Org {
    /// Queues.
    pub queues: Vec<SimQueue>,
    /// Agents.
    pub agents: Vec<SimAgent>,
    /// Wrap-up code ids.
    pub wrap_up_codes: Vec<String>,
}

/// One generated conversation: a customer reaching a queue, answered or abandoned.
#[derive(Debug, Clone)]
pub struct SimConversation {
    /// Conversation id (UUID).
    pub id: String,
    /// When the customer arrived (conversationStart), millisecond precision.
    pub start: DateTime<Utc>,
    /// When the customer left (conversationEnd).
    pub end: DateTime<Utc>,
    /// Queue index into [`Org::queues`].
    pub queue: usize,
    /// Media type.
    pub media_type: &'static str,
    /// `inbound`.
    pub direction: &'static str,
    /// The agent who answered (index into [`Org::agents`]), if answered.
    pub agent: Option<usize>,
    /// Abandoned in queue.
    pub abandoned: bool,
    /// Transferred by the agent.
    pub transferred: bool,
    /// Time in queue until answered or abandoned, ms.
    pub wait_ms: u64,
    /// Talk time, ms (0 if abandoned).
    pub talk_ms: u64,
    /// Hold time, ms.
    pub hold_ms: u64,
    /// After-call work, ms.
    pub acw_ms: u64,
    /// Caller's address (voice only).
    pub ani: Option<String>,
    /// Wrap-up code id (answered only).
    pub wrap_up_code: Option<String>,
}

impl SimConversation {
    /// Answered by an agent.
    pub fn answered(&self) -> bool {
        self.agent.is_some()
    }

    /// talk + hold + after-call work, ms (0 unless answered).
    pub fn handle_ms(&self) -> u64 {
        if self.answered() {
            self.talk_ms + self.hold_ms + self.acw_ms
        } else {
            0
        }
    }
}

/// Relative arrivals per hour of the day (UTC), a typical business-day curve.
const HOURLY_WEIGHTS: [u32; 24] = [
    2, 1, 1, 1, 1, 2, 4, 8, 14, 18, 20, 19, 17, 18, 19, 17, 14, 11, 8, 6, 5, 4, 3, 2,
];

fn uuid(rng: &mut ChaCha8Rng) -> String {
    let v: u128 = rng.r#gen();
    // RFC 4122 version 4 / variant 1 bits, so the ids look like the real thing.
    let v =
        (v & !(0xF000u128 << 64) | (0x4000u128 << 64)) & !(0xC000u128 << 48) | (0x8000u128 << 48);
    let h = format!("{v:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn exp_ms(rng: &mut ChaCha8Rng, mean_ms: f64) -> u64 {
    let u: f64 = rng.gen_range(f64::EPSILON..1.0);
    (-mean_ms * u.ln()).round() as u64
}

/// The deterministic contact center of one seed.
#[derive(Debug, Clone)]
pub struct Generator {
    seed: u64,
    org: Org,
}

impl Generator {
    /// The org and conversations of `seed`.
    pub fn new(seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let names = ["Sales", "Support", "Billing", "Retention"];
        let volumes = [260, 380, 160, 90];
        let first = [
            "Ana", "Ben", "Chloé", "Dev", "Elif", "Femi", "Grace", "Hugo", "Ines", "Jun", "Kofi",
            "Lena",
        ];
        let agents: Vec<SimAgent> = (0..24)
            .map(|i| SimAgent {
                id: uuid(&mut rng),
                name: format!(
                    "{} {}",
                    first[i % first.len()],
                    (b'A' + (i / first.len()) as u8) as char
                ),
            })
            .collect();
        let queues = names
            .iter()
            .enumerate()
            .map(|(q, name)| SimQueue {
                id: uuid(&mut rng),
                name,
                // 8 agents per queue, overlapping so that agents work several queues.
                agents: (0..8).map(|k| (q * 5 + k) % agents.len()).collect(),
                daily_voice: volumes[q],
                dnis: format!("tel:+1800555{:04}", 100 + q),
            })
            .collect();
        let wrap_up_codes = (0..5).map(|_| uuid(&mut rng)).collect();
        Self {
            seed,
            org: Org {
                queues,
                agents,
                wrap_up_codes,
            },
        }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The org.
    pub fn org(&self) -> &Org {
        &self.org
    }

    /// Conversations that started on a UTC day, ordered by start.
    pub fn conversations_on(&self, day: NaiveDate) -> Vec<SimConversation> {
        let day_number = day.num_days_from_ce() as u64;
        let mut rng = ChaCha8Rng::seed_from_u64(
            self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
                ^ day_number.wrapping_mul(0xD1B5_4A32_D192_ED03),
        );
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        let day_start = day
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc())
            .unwrap_or_default();
        let total_weight: u32 = HOURLY_WEIGHTS.iter().sum();
        let mut out = Vec::new();
        for (q, queue) in self.org.queues.iter().enumerate() {
            for (m, media) in MEDIA_TYPES.iter().enumerate() {
                let share = [1.0, 0.4, 0.15, 0.25][m];
                let mut volume =
                    queue.daily_voice as f64 * share * if weekend { 0.45 } else { 1.0 };
                // +-10 % day-to-day noise
                volume *= rng.gen_range(0.9..1.1);
                let n = volume.round() as u32;
                for _ in 0..n {
                    let mut pick = rng.gen_range(0..total_weight);
                    let mut hour = 0;
                    while pick >= HOURLY_WEIGHTS[hour] {
                        pick -= HOURLY_WEIGHTS[hour];
                        hour += 1;
                    }
                    let offset_ms = hour as i64 * 3_600_000 + rng.gen_range(0..3_600_000);
                    let start = day_start + Duration::milliseconds(offset_ms);
                    out.push(self.conversation(&mut rng, q, media, start));
                }
            }
        }
        out.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
        out
    }

    fn conversation(
        &self,
        rng: &mut ChaCha8Rng,
        q: usize,
        media: &'static str,
        start: DateTime<Utc>,
    ) -> SimConversation {
        let queue = &self.org.queues[q];
        let (wait_mean, talk_mean) = match media {
            "voice" => (35_000.0, 240_000.0),
            "chat" => (60_000.0, 420_000.0),
            "email" => (900_000.0, 300_000.0),
            _ => (120_000.0, 360_000.0),
        };
        let mut wait_ms = exp_ms(rng, wait_mean).max(500);
        let patience = if media == "email" {
            u64::MAX
        } else {
            exp_ms(rng, 150_000.0).max(2_000)
        };
        let abandoned = patience < wait_ms;
        if abandoned {
            wait_ms = patience;
        }
        let id = uuid(rng);
        let ani =
            (media == "voice").then(|| format!("tel:+1555{:07}", rng.gen_range(0..10_000_000u32)));
        if abandoned {
            return SimConversation {
                id,
                start,
                end: start + Duration::milliseconds(wait_ms as i64),
                queue: q,
                media_type: media,
                direction: "inbound",
                agent: None,
                abandoned: true,
                transferred: false,
                wait_ms,
                talk_ms: 0,
                hold_ms: 0,
                acw_ms: 0,
                ani,
                wrap_up_code: None,
            };
        }
        let agent = queue.agents[rng.gen_range(0..queue.agents.len())];
        let talk_ms = 20_000 + exp_ms(rng, talk_mean);
        let hold_ms = if media == "voice" && rng.gen_bool(0.25) {
            rng.gen_range(5_000..120_000)
        } else {
            0
        };
        let acw_ms = rng.gen_range(5_000..90_000);
        let transferred = rng.gen_bool(0.07);
        let wrap_up_code =
            Some(self.org.wrap_up_codes[rng.gen_range(0..self.org.wrap_up_codes.len())].clone());
        SimConversation {
            id,
            start,
            end: start + Duration::milliseconds((wait_ms + talk_ms + hold_ms) as i64),
            queue: q,
            media_type: media,
            direction: "inbound",
            agent: Some(agent),
            abandoned: false,
            transferred,
            wait_ms,
            talk_ms,
            hold_ms,
            acw_ms,
            ani,
            wrap_up_code,
        }
    }

    /// Conversations that started in `[start, end)`, ordered by start.
    pub fn conversations_between(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Vec<SimConversation> {
        let mut out = Vec::new();
        let mut day = start.date_naive();
        while day.and_hms_opt(0, 0, 0).map(|d| d.and_utc()).unwrap_or(end) < end {
            out.extend(
                self.conversations_on(day)
                    .into_iter()
                    .filter(|c| c.start >= start && c.start < end),
            );
            match day.checked_add_days(Days::new(1)) {
                Some(next) => day = next,
                None => break,
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_day_same_conversations() {
        let day: NaiveDate = "2026-11-18".parse().unwrap();
        let a = Generator::new(7).conversations_on(day);
        let b = Generator::new(7).conversations_on(day);
        assert_eq!(a.len(), b.len());
        assert!(
            a.iter()
                .zip(&b)
                .all(|(x, y)| x.id == y.id && x.start == y.start && x.wait_ms == y.wait_ms)
        );
        let c = Generator::new(8).conversations_on(day);
        assert_ne!(a[0].id, c[0].id);
    }

    #[test]
    fn a_weekday_has_a_plausible_mix() {
        let g = Generator::new(42);
        let day: NaiveDate = "2026-11-18".parse().unwrap(); // a Wednesday
        let convs = g.conversations_on(day);
        assert!(convs.len() > 1000 && convs.len() < 2500, "{}", convs.len());
        let abandoned = convs.iter().filter(|c| c.abandoned).count();
        assert!(abandoned > 0 && abandoned < convs.len() / 3);
        assert!(convs.iter().all(|c| c.start.date_naive() == day));
        // some conversations run past midnight or at least into the evening
        assert!(
            convs
                .iter()
                .any(|c| c.start.format("%H").to_string() == "23")
        );
    }

    #[test]
    fn between_spans_days() {
        let g = Generator::new(1);
        let start = "2026-11-17T22:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let end = "2026-11-18T02:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let convs = g.conversations_between(start, end);
        assert!(convs.iter().all(|c| c.start >= start && c.start < end));
        assert!(
            convs
                .iter()
                .any(|c| c.start.date_naive() == start.date_naive())
        );
        assert!(
            convs
                .iter()
                .any(|c| c.start.date_naive() == end.date_naive())
        );
    }
}
