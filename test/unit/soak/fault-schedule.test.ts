import { FAULT_KINDS, faultSchedule } from '../../../scripts/soak/fault-schedule';

describe('faultSchedule', () => {
  it('should fire every kind once in each minute, inside the minute, in time order', () => {
    // Act
    const schedule = faultSchedule(30, 1);

    // Assert
    for (const kind of FAULT_KINDS) {
      const minutes = schedule.filter((fault) => fault.kind === kind).map((fault) => Math.floor(fault.atMs / 60_000));
      expect(minutes).toEqual(Array.from({ length: 30 }, (_, minute) => minute));
    }
    expect(schedule.every((fault) => fault.atMs % 60_000 >= 5000 && fault.atMs % 60_000 < 55_000)).toBe(true);
    expect(schedule.map((fault) => fault.atMs)).toEqual([...schedule.map((fault) => fault.atMs)].sort((a, b) => a - b));
  });

  it('should give the same schedule for the same seed and another for another seed', () => {
    // Act
    const [first, again, other] = [faultSchedule(2, 7), faultSchedule(2, 7), faultSchedule(2, 8)];

    // Assert
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });
});
