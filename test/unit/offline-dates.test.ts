// Date ranges of role lines as CVs write them. Found from outside: "2016–19", "since 2021", "03/2019 -
// 05/2021", "Jun '19 – Aug '22" and "2018 – ongoing" gave no years at all; the end month was never read
// ("Jan 2020 – Dec 2020" counted nothing); December and the German month names mapped to the wrong month.
import { describe, expect, it } from 'vitest';
import { dateRangeIn } from '../../lib/evaluation/offline/dates.ts';

const now = new Date('2026-12-07T12:00:00Z');
const years = (text: string) => {
  const r = dateRangeIn(text, now);
  return r && Math.round((r.to - r.from) * 100) / 100;
};

describe('date ranges of role lines', () => {
  it.each([
    ['Mar 2019 – Nov 2022', 3.75],
    ['Jan 2020 – Dec 2020', 1],
    ['Nov 2019 – Feb 2020', 0.33],
    ['Sept 2018 - Dec 2018', 0.33],
    ['Jan. 2019 bis Dez. 2019', 1],
    ['Januar 2020 – März 2020', 0.25],
    ['03/2019 - 05/2021', 2.25],
    ['2019/03 – 2022/11', 3.75],
    ['2019-10 – 2021-03', 1.5],
    ["Jun '19 – Aug '22", 3.25],
    ['2016–19', 3],
    ['2009-10', 1],
    ['2019 - 2020', 1],
    ['Mar 2019 – 2021', 2],
    ['Backend Engineer, Acme 2015, then 2019 – 2022', 3],
  ])('%s: %s years', (text, expected) => {
    expect(years(text)).toBe(expected);
  });

  it('open ranges and "since" end now', () => {
    for (const text of ['2018 – present', '2018 – ongoing', '2018 – actualidad', 'Oct 2018 – heute'])
      expect(dateRangeIn(text, now)?.to).toBeCloseTo(2026 + 11 / 12);
    expect(dateRangeIn('Since 2021 I have run the claims team', now)).toEqual({
      from: 2021,
      to: 2026 + 11 / 12,
    });
    expect(dateRangeIn('depuis 2019', now)?.from).toBe(2019);
  });

  it('a year alone, an age or a count of years is not a range', () => {
    for (const text of ['in 2019 we won an award', 'opened 30 years ago', '2019', 'aged 34', 'pages 12–19'])
      expect(dateRangeIn(text, now), text).toBeUndefined();
  });
});
