import { describe, expect, it } from 'vitest';
import { parseClpmdstatList, parseClpmdstatMirror } from '../../agent/drivers/cluster/clpmdstat-parser.js';
import { readFixture } from '../support/fixture.js';

// The fixtures are the seed manual's samples copied verbatim, prompt line and odd blank lines included.
const clpmdstat = (name: string): string => readFixture(`clusterpro/${name}`);

describe('parseClpmdstatMirror: the manual samples (CPRO-XL050-06)', () => {
  it('3.1.3.2, Abnormal: server2 is RED while server1 is GREEN, dates keep their time', () => {
    expect(parseClpmdstatMirror(clpmdstat('clpmdstat-md1-abnormal-3.1.3.2.txt'), 'md1')).toEqual({
      name: 'md1',
      overall: 'abnormal',
      overallText: 'Abnormal',
      servers: [
        { server: 'server2', color: 'RED', lastUpdate: '--', breakTime: '--', diskError: 'OK', differencePercent: '0%' },
        {
          server: 'server1',
          color: 'GREEN',
          lastUpdate: '2008/10/22 10:12:51',
          breakTime: '2008/10/22 10:11:15',
          diskError: 'OK',
          differencePercent: '1%',
        },
      ],
    });
  });

  it('3.1.3.5, Abnormal: the columns follow the header (server1 first), whatever the spacing', () => {
    const status = parseClpmdstatMirror(clpmdstat('clpmdstat-md1-abnormal-3.1.3.5.txt'), 'md1');
    expect(status.overall).toBe('abnormal');
    expect(status.servers).toEqual([
      { server: 'server1', color: 'RED', lastUpdate: '--', breakTime: '--', diskError: 'OK', differencePercent: '0%' },
      {
        server: 'server2',
        color: 'GREEN',
        lastUpdate: '2008/10/22 10:18:26',
        breakTime: '2008/10/22 10:17:56',
        diskError: 'OK',
        differencePercent: '1%',
      },
    ]);
  });

  it.each([
    ['clpmdstat-md1-normal-3.1.3.2.txt', ['server2', 'server1']],
    ['clpmdstat-md1-normal-3.1.3.5.txt', ['server1', 'server2']],
  ])('%s, Normal: GREEN on every server; rows not printed are empty', (file, servers) => {
    const status = parseClpmdstatMirror(clpmdstat(file), 'md1');
    expect(status).toMatchObject({ name: 'md1', overall: 'normal', overallText: 'Normal' });
    expect(status.servers).toEqual(
      servers.map((server) => ({ server, color: 'GREEN', lastUpdate: '', breakTime: '', diskError: '', differencePercent: '' })),
    );
  });
});

describe('parseClpmdstatMirror: beyond the manual', () => {
  it('reads No Construction, lower-case colours and a two-token date on a server that is not last', () => {
    const text = [
      ' Mirror Status: No  Construction',
      '',
      '  md2                     server1                 server2',
      ' -------------------------------------------------------------',
      '  Mirror Color            yellow                  GRAY',
      '  Lastupdate Time         2009/01/05 09:00:01     --',
      '  Unknown Row             whatever',
      '  Difference Percent      12%                     --',
    ].join('\r\n');
    const status = parseClpmdstatMirror(text, 'md2');
    expect(status.overall).toBe('no-construction');
    expect(status.overallText).toBe('No Construction');
    expect(status.servers).toEqual([
      { server: 'server1', color: 'YELLOW', lastUpdate: '2009/01/05 09:00:01', breakTime: '', diskError: '', differencePercent: '12%' },
      { server: 'server2', color: 'GRAY', lastUpdate: '--', breakTime: '', diskError: '', differencePercent: '--' },
    ]);
  });

  it('keeps an unknown overall word as other, with no servers when the header is missing', () => {
    expect(parseClpmdstatMirror('Mirror Status: Recovering\n', 'md1')).toEqual({
      name: 'md1',
      overall: 'other',
      overallText: 'Recovering',
      servers: [],
    });
  });

  it('throws LOCKSTEP_E_PARSE when there is no Mirror Status line', () => {
    expect(() => parseClpmdstatMirror('clpmdstat: invalid mirror disk resource name\n', 'md9')).toThrow(
      expect.objectContaining({ code: 'LOCKSTEP_E_PARSE', message: expect.stringContaining('mirror md9') }),
    );
  });
});

describe('parseClpmdstatList', () => {
  it('lists the <md> lines in order, once each, and ignores the other lines', () => {
    const text = ['<md1>', '  Mirror Partition Device Name : /dev/NMP1', '  <md2>  ', 'md3', '<md1>', ''].join('\n');
    expect(parseClpmdstatList(text)).toEqual(['md1', 'md2']);
  });

  it('lists nothing when there is no mirror disk resource', () => {
    expect(parseClpmdstatList('')).toEqual([]);
  });
});
