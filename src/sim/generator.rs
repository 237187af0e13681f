//! The simulator's ground truth: a seeded, deterministic contact center.
//!
//! The same seed always gives the same org (queues, agents, wrap-up codes), and the same seed and
//! UTC day always give the same conversations, whatever was asked before. Every number the
//! simulator serves is computed from these conversations, so tests can recompute the truth on
//! their own and compare it with what landed in Parquet.

use std::collections::HashMap;

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

/// An agent's working day.
#[derive(Debug, Clone)]
pub struct Shift {
    /// Log-in.
    pub start: DateTime<Utc>,
    /// Log-out.
    pub end: DateTime<Utc>,
    /// Breaks and meals: (start, end, system presence).
    pub pauses: Vec<(DateTime<Utc>, DateTime<Utc>, &'static str)>,
}

impl Shift {
    /// In shift and not on a break at `t`.
    pub fn on_queue_at(&self, t: DateTime<Utc>) -> bool {
        t >= self.start && t < self.end && !self.pauses.iter().any(|(a, b, _)| t >= *a && t < *b)
    }
}

/// A span of constant presence and routing status.
#[derive(Debug, Clone, PartialEq)]
pub struct PresenceSpan {
    /// Start.
    pub start: DateTime<Utc>,
    /// End (exclusive).
    pub end: DateTime<Utc>,
    /// ON_QUEUE, BREAK, MEAL, …
    pub system_presence: &'static str,
    /// IDLE, INTERACTING, NOT_RESPONDING, OFF_QUEUE.
    pub routing_status: &'static str,
}

/// Relative arrivals per hour of the day (UTC), a typical business-day curve.
const HOURLY_WEIGHTS: [u32; 24] = [
    2, 1, 1, 1, 1, 2, 4, 8, 14, 18, 20, 19, 17, 18, 19, 17, 14, 11, 8, 6, 5, 4, 3, 2,
];

/// A random RFC 4122 version 4 UUID from `rng`.
pub(crate) fn uuid(rng: &mut ChaCha8Rng) -> String {
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
    /// Multiplies every queue's daily volume (1.0: about 1,600 conversations a weekday).
    volume: f64,
    /// Days already generated: every details page of a day asks for the whole day again, and at
    /// benchmark volumes generating it costs more than the page. Bounded; shared by clones.
    days:
        std::sync::Arc<std::sync::Mutex<HashMap<NaiveDate, std::sync::Arc<Vec<SimConversation>>>>>,
}

/// Days kept by a generator's cache.
const CACHED_DAYS: usize = 64;

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
                agents: (0..8).map(|k| (q * 6 + k) % agents.len()).collect(),
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
            volume: 1.0,
            days: Default::default(),
        }
    }

    /// The same org with `scale` times the conversations (for benchmarks at a given volume; the
    /// agents and their shifts stay as they are). Not finite or not positive leaves it unchanged.
    pub fn with_volume(mut self, scale: f64) -> Self {
        if scale.is_finite() && scale > 0.0 {
            self.volume = scale;
            self.days = Default::default();
        }
        self
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
        self.day(day).as_ref().clone()
    }

    /// The day's conversations, generated once and then shared.
    fn day(&self, day: NaiveDate) -> std::sync::Arc<Vec<SimConversation>> {
        let cached = self
            .days
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&day)
            .cloned();
        if let Some(conversations) = cached {
            return conversations;
        }
        let generated = std::sync::Arc::new(self.generate_day(day));
        let mut days = self.days.lock().unwrap_or_else(|p| p.into_inner());
        if days.len() >= CACHED_DAYS {
            days.clear();
        }
        days.insert(day, generated.clone());
        generated
    }

    fn generate_day(&self, day: NaiveDate) -> Vec<SimConversation> {
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
        let shifts: Vec<Option<Shift>> = (0..self.org.agents.len())
            .map(|a| self.shift(a, day))
            .collect();
        let mut out = Vec::new();
        for (q, queue) in self.org.queues.iter().enumerate() {
            for (m, media) in MEDIA_TYPES.iter().enumerate() {
                let share = [1.0, 0.4, 0.15, 0.25][m];
                let mut volume = queue.daily_voice as f64
                    * self.volume
                    * share
                    * if weekend { 0.45 } else { 1.0 };
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
                    out.push(self.conversation(&mut rng, q, media, start, &shifts));
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
        shifts: &[Option<Shift>],
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
        // Routing: an agent of the queue who is on queue when the conversation is answered; when
        // none is (night hours), any agent of the queue takes it.
        let answered_at = start + Duration::milliseconds(wait_ms as i64);
        let on_queue: Vec<usize> = queue
            .agents
            .iter()
            .copied()
            .filter(|a| match shifts.get(*a) {
                // Same day: the day's shifts; answered after midnight: look the shift up.
                Some(shift) if answered_at.date_naive() == start.date_naive() => {
                    shift.as_ref().is_some_and(|s| s.on_queue_at(answered_at))
                }
                _ => self.on_queue_at(*a, answered_at),
            })
            .collect();
        let pool = if on_queue.is_empty() {
            &queue.agents
        } else {
            &on_queue
        };
        let agent = pool[rng.gen_range(0..pool.len())];
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

    /// The agent's shift on a UTC day: 8 hours from 07:00 to 10:00 (staggered by agent) plus a
    /// few seeded minutes on weekdays; at weekends a third of the agents work 10:00–16:00. Two
    /// 15-minute breaks and a 30-minute meal interrupt it.
    pub fn shift(&self, agent: usize, day: NaiveDate) -> Option<Shift> {
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        if weekend && !agent.is_multiple_of(3) {
            return None;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(
            self.seed ^ 0x5348_4946_5453 ^ ((agent as u64) << 32) ^ day.num_days_from_ce() as u64,
        );
        let day_start = day.and_hms_opt(0, 0, 0)?.and_utc();
        let (hour, length_h) = if weekend {
            (10, 6)
        } else {
            (7 + (agent % 4) as i64, 8)
        };
        let start = day_start + Duration::hours(hour) + Duration::minutes(rng.gen_range(0..20));
        let end = start + Duration::hours(length_h);
        let pause = |after_min: i64, minutes: i64, kind: &'static str| {
            (
                start + Duration::minutes(after_min),
                start + Duration::minutes(after_min + minutes),
                kind,
            )
        };
        let pauses = if weekend {
            vec![pause(150, 30, "MEAL")]
        } else {
            vec![
                pause(120, 15, "BREAK"),
                pause(240, 30, "MEAL"),
                pause(375, 15, "BREAK"),
            ]
        };
        Some(Shift { start, end, pauses })
    }

    /// Whether the agent is on queue (in shift, not on a break) at `t`.
    pub fn on_queue_at(&self, agent: usize, t: DateTime<Utc>) -> bool {
        self.shift(agent, t.date_naive())
            .is_some_and(|s| s.on_queue_at(t))
    }

    /// Every agent's timeline of a UTC day (see [`Generator::agent_timeline`]).
    pub fn agent_timelines(&self, day: NaiveDate) -> Vec<Vec<PresenceSpan>> {
        let conversations = self.conversations_on(day);
        (0..self.org.agents.len())
            .map(|a| self.timeline_with(a, day, &conversations))
            .collect()
    }

    /// The agent's presence and routing status over a UTC day: ON_QUEUE spans split into
    /// INTERACTING (while handling a conversation answered that day, wrap-up included),
    /// NOT_RESPONDING (a 20-second missed alert an hour into the shift) and IDLE; BREAK and MEAL
    /// spans are OFF_QUEUE. Outside the shift the agent is OFFLINE (not listed).
    pub fn agent_timeline(&self, agent: usize, day: NaiveDate) -> Vec<PresenceSpan> {
        self.timeline_with(agent, day, &self.conversations_on(day))
    }

    fn timeline_with(
        &self,
        agent: usize,
        day: NaiveDate,
        conversations: &[SimConversation],
    ) -> Vec<PresenceSpan> {
        let Some(shift) = self.shift(agent, day) else {
            return Vec::new();
        };
        // Presence spans in order.
        let mut presence: Vec<(DateTime<Utc>, DateTime<Utc>, &'static str)> = Vec::new();
        let mut cursor = shift.start;
        for (a, b, kind) in &shift.pauses {
            presence.push((cursor, *a, "ON_QUEUE"));
            presence.push((*a, *b, kind));
            cursor = *b;
        }
        presence.push((cursor, shift.end, "ON_QUEUE"));
        // Busy intervals, merged.
        let mut busy: Vec<(DateTime<Utc>, DateTime<Utc>)> = conversations
            .iter()
            .filter(|c| c.agent == Some(agent))
            .map(|c| {
                (
                    c.start + Duration::milliseconds(c.wait_ms as i64),
                    c.end + Duration::milliseconds(c.acw_ms as i64),
                )
            })
            .collect();
        let missed = shift.start + Duration::hours(1);
        busy.sort();
        let mut merged: Vec<(DateTime<Utc>, DateTime<Utc>, &'static str)> = Vec::new();
        for (a, b) in busy {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b, "INTERACTING")),
            }
        }
        // The missed alert only where the agent is not busy.
        if !merged
            .iter()
            .any(|(a, b, _)| missed < *b && missed + Duration::seconds(20) > *a)
        {
            merged.push((missed, missed + Duration::seconds(20), "NOT_RESPONDING"));
            merged.sort();
        }
        let mut spans = Vec::new();
        for (p_start, p_end, kind) in presence {
            if kind != "ON_QUEUE" {
                spans.push(PresenceSpan {
                    start: p_start,
                    end: p_end,
                    system_presence: kind,
                    routing_status: "OFF_QUEUE",
                });
                continue;
            }
            let mut t = p_start;
            for (a, b, status) in &merged {
                let (a, b) = ((*a).max(p_start), (*b).min(p_end));
                if a >= b {
                    continue;
                }
                if a > t {
                    spans.push(PresenceSpan {
                        start: t,
                        end: a,
                        system_presence: "ON_QUEUE",
                        routing_status: "IDLE",
                    });
                }
                spans.push(PresenceSpan {
                    start: a,
                    end: b,
                    system_presence: "ON_QUEUE",
                    routing_status: status,
                });
                t = b;
            }
            if t < p_end {
                spans.push(PresenceSpan {
                    start: t,
                    end: p_end,
                    system_presence: "ON_QUEUE",
                    routing_status: "IDLE",
                });
            }
        }
        spans
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
                self.day(day)
                    .iter()
                    .filter(|c| c.start >= start && c.start < end)
                    .cloned(),
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
    fn volume_scales_the_conversations_of_a_day_and_a_cached_day_is_the_same() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 18).unwrap(); // a Wednesday
        let base = Generator::new(3);
        let one = base.conversations_on(day).len() as f64;
        let doubled = Generator::new(3)
            .with_volume(2.0)
            .conversations_on(day)
            .len() as f64;
        // Each queue and media type is rounded on its own, with its own noise draw.
        assert!((1400.0..1800.0).contains(&one), "{one}");
        assert!((doubled / one - 2.0).abs() < 0.15, "{one} then {doubled}");
        let again = base.conversations_on(day);
        let fresh = Generator::new(3).conversations_on(day);
        assert_eq!(again.len(), fresh.len());
        assert!(
            again
                .iter()
                .zip(&fresh)
                .all(|(a, b)| a.id == b.id && a.start == b.start)
        );
    }

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
    fn timelines_tile_the_shift_without_gaps_or_overlaps() {
        let g = Generator::new(5);
        let day: NaiveDate = "2026-11-18".parse().unwrap();
        let timelines = g.agent_timelines(day);
        assert_eq!(timelines[3], g.agent_timeline(3, day));
        for (agent, spans) in timelines.iter().enumerate() {
            let shift = g.shift(agent, day).unwrap();
            assert_eq!(spans.first().unwrap().start, shift.start);
            assert_eq!(spans.last().unwrap().end, shift.end);
            for w in spans.windows(2) {
                assert_eq!(w[0].end, w[1].start, "agent {agent}");
                assert!(w[0].start < w[0].end);
            }
            assert!(
                spans.iter().any(|s| s.routing_status == "INTERACTING"),
                "agent {agent} handled something"
            );
        }
        let handled_on_queue = g
            .conversations_on(day)
            .iter()
            .filter(|c| {
                c.agent.is_some_and(|a| {
                    g.on_queue_at(a, c.start + Duration::milliseconds(c.wait_ms as i64))
                })
            })
            .count();
        let answered = g
            .conversations_on(day)
            .iter()
            .filter(|c| c.agent.is_some())
            .count();
        assert!(
            handled_on_queue * 10 > answered * 8,
            "most conversations go to agents on queue: {handled_on_queue}/{answered}"
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
