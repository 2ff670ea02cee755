import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ServiceMissingError, startStack, type StackService } from '../../../scripts/stack';

function fakeService(name: string, behaviour: 'ok' | 'missing', stopped: string[]): StackService {
  return {
    name,
    async start() {
      if (behaviour === 'missing') throw new ServiceMissingError(name, `apt-get install ${name}-server`);
      return { name, env: { [`${name.toUpperCase()}_URL`]: `${name}://127.0.0.1:1` }, private: true, stop: async () => void stopped.push(name) };
    },
  };
}

describe('startStack', () => {
  let baseDir: string;
  beforeEach(() => {
    baseDir = mkdtempSync(path.join(os.tmpdir(), 'stack-test-'));
  });
  afterEach(() => rmSync(baseDir, { recursive: true, force: true }));

  it('should merge every service environment and stop private instances last-started first', async () => {
    const stopped: string[] = [];
    const stack = await startStack({ services: [fakeService('redis', 'ok', stopped), fakeService('kafka', 'ok', stopped)], baseDir, log: () => undefined });

    expect(stack.env).toEqual({ REDIS_URL: 'redis://127.0.0.1:1', KAFKA_URL: 'kafka://127.0.0.1:1' });
    await stack.stop();
    expect(stopped).toEqual(['kafka', 'redis']);
    expect(readdirSync(baseDir)).toEqual([]);
  });

  it('should list every install command when services are missing, after stopping what it started', async () => {
    const stopped: string[] = [];
    const services = [fakeService('redis', 'ok', stopped), fakeService('mariadb', 'missing', stopped), fakeService('kcat', 'missing', stopped)];

    const result = startStack({ services, baseDir, log: () => undefined });

    await expect(result).rejects.toThrow('mariadb: apt-get install mariadb-server\n  kcat: apt-get install kcat-server');
    expect(stopped).toEqual(['redis']);
  });
});
