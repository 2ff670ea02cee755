import { needsEnqueuedTime, spliceEnqueuedTime, withSourceFields, type SourceIdentity } from '../../../lib/queue/source-fields';

const identity: SourceIdentity = { sourceName: 'donation-form', sourceVersion: '1.2.3', sourceHost: 'web1', sourceRunId: 4242 };

describe('withSourceFields', () => {
  it('should add every source field a message lacks, with source_type direct by default', () => {
    const stamped = withSourceFields({ order_id: '1.1' }, identity);

    expect(stamped).toEqual({
      order_id: '1.1',
      source_name: 'donation-form',
      source_type: 'direct',
      source_host: 'web1',
      source_run_id: 4242,
      source_version: '1.2.3',
    });
  });

  it('should keep source fields the message already carries and not modify the original', () => {
    const original = { order_id: '1.1', source_name: 'smashpig', source_type: 'listener', source_enqueued_time: 1700000000 };

    const stamped = withSourceFields(original, identity, 'payments');

    expect(stamped).toMatchObject({ source_name: 'smashpig', source_type: 'listener', source_enqueued_time: 1700000000, source_host: 'web1' });
    expect(original).toEqual({ order_id: '1.1', source_name: 'smashpig', source_type: 'listener', source_enqueued_time: 1700000000 });
  });

  it('should use the given source type when the message has none', () => {
    expect(withSourceFields({}, identity, 'audit').source_type).toBe('audit');
  });
});

describe('needsEnqueuedTime', () => {
  it.each([
    [{}, true],
    [{ source_enqueued_time: null }, true],
    [{ source_enqueued_time: '' }, true],
    [{ source_enqueued_time: 0 }, false],
    [{ source_enqueued_time: 1700000000 }, false],
    [{ source_enqueued_time: '1700000000' }, false],
  ])('should say %j needs a stamp: %s', (message, expected) => {
    expect(needsEnqueuedTime(message)).toBe(expected);
  });
});

describe('spliceEnqueuedTime', () => {
  it('should append source_enqueued_time as the last member and keep the JSON valid', () => {
    const json = JSON.stringify({ a: 'x}', b: { c: 1 } });

    const spliced = spliceEnqueuedTime(json, 1700000000.9);

    expect(JSON.parse(spliced)).toEqual({ a: 'x}', b: { c: 1 }, source_enqueued_time: 1700000000 });
    expect(spliced.endsWith(',"source_enqueued_time":1700000000}')).toBe(true);
  });

  it('should handle an empty object and reject what is not an object', () => {
    expect(JSON.parse(spliceEnqueuedTime('{}', 5))).toEqual({ source_enqueued_time: 5 });
    expect(() => spliceEnqueuedTime('[1]', 5)).toThrow('not a serialised JSON object');
  });
});
