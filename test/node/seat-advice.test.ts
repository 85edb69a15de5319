import { describe, expect, it } from "vitest";
import { adviseSeats } from "../../durable-objects/seat-advice";

const HOUR = 3_600_000;
const start = Date.parse("2026-10-01T00:00:00Z");

/** 30 days of hourly buckets; `at(day, hour)` says how busy each hour was. */
function history(at: (day: number, hour: number) => { peakInUse: number; denials?: number }) {
  const hours = [];
  for (let day = 0; day < 30; day++) {
    for (let hour = 0; hour < 24; hour++) {
      const b = at(day, hour);
      hours.push({ start: new Date(start + (day * 24 + hour) * HOUR).toISOString(), peakInUse: b.peakInUse, denials: b.denials ?? 0 });
    }
  }
  return hours;
}
const working = (hour: number) => hour >= 8 && hour < 18;

describe("seat advice on made-up usage histories", () => {
  it("offers fewer seats to a pool that is always under-used", () => {
    const advice = adviseSeats(10, 30, history((_d, h) => ({ peakInUse: working(h) ? 4 + (h % 3) : 0 })));
    expect(advice).toMatchObject({ seats: 10, recommendedSeats: 7, basis: { peakInUse: 6, hoursAtFull: 0, denials: 0, deniedHours: 0 } });
    expect(advice.message).toBe("Use never went above 6 of 10 seats in 30 days, and no one was turned away. 7 seats would have served everyone with one to spare.");
  });

  it("asks for more seats when the pool is full every morning and people are turned away", () => {
    // full from 9 to 11 every weekday, 2 or 3 people turned away each of those hours
    const advice = adviseSeats(10, 30, history((d, h) => {
      const weekday = d % 7 < 5;
      if (weekday && h >= 9 && h < 11) return { peakInUse: 10, denials: h === 9 ? 3 : 2 };
      return { peakInUse: working(h) ? 7 : 0 };
    }));
    expect(advice.basis).toMatchObject({ days: 30, peakInUse: 10, p95InUse: 10, hoursAtFull: 44, denials: 110, deniedHours: 44 });
    expect(advice.recommendedSeats).toBe(13);
    expect(advice.message).toBe("110 people were turned away in 44 working hours at full use, on 22 different days in 30 days. 3 more seats would have served them.");
  });

  it("keeps the seats of a pool that is busy on one day a month", () => {
    const advice = adviseSeats(10, 30, history((d, h) => (d === 14 && working(h) ? { peakInUse: 10, denials: h < 12 ? 2 : 0 } : { peakInUse: working(h) ? 6 : 0 })));
    expect(advice).toMatchObject({ recommendedSeats: 10, basis: { peakInUse: 10, p95InUse: 6, hoursAtFull: 10, denials: 8, deniedHours: 4 } });
    expect(advice.message).toBe("8 people were turned away, but only on 1 day in 30 days; most of the time use stayed at or below 6 of 10 seats. Keep 10 seats: buying more for a rare busy day is not worth it.");
  });

  it("speaks of one person turned away in the singular", () => {
    const advice = adviseSeats(10, 30, history((d, h) => (d === 3 && h === 10 ? { peakInUse: 10, denials: 1 } : { peakInUse: working(h) ? 6 : 0 })));
    expect(advice.recommendedSeats).toBe(10);
    expect(advice.message).toMatch(/^1 person was turned away, but only on 1 day in 30 days;/);
  });

  it("says the count is right when use reaches it and no one is turned away", () => {
    const advice = adviseSeats(5, 30, history((_d, h) => ({ peakInUse: working(h) ? 5 : 1 })));
    expect(advice.recommendedSeats).toBe(5);
    expect(advice.message).toBe("Use reached 5 of 5 seats in 30 days and no one was turned away: 5 seats is the right number.");
  });

  it("says so when no seat was used at all", () => {
    const advice = adviseSeats(3, 30, []);
    expect(advice).toMatchObject({ recommendedSeats: 1, basis: { peakInUse: 0, p95InUse: 0, denials: 0 } });
    expect(advice.message).toBe("No seat was used in 30 days. One seat would have served everyone; check that the pool is still needed.");
  });
});
