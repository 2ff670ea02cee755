import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { LUA_DIR, LUA_INDEX, renderLuaIndex } from '../../../scripts/generate-lua-scripts';
import { luaScripts } from '../../../lib/queue/redis/lua';

describe('queue Lua scripts', () => {
  it('should have lua/index.ts generated from the current .lua files (run npm run lua:generate)', () => {
    expect(readFileSync(LUA_INDEX, 'utf8')).toBe(renderLuaIndex(LUA_DIR));
  });

  it.each(Object.entries(luaScripts))('should document KEYS, ARGV and the return value in the header of %s, using exactly its declared keys', (name, source) => {
    const declaredKeys = Number(name.slice(name.lastIndexOf('-') + 1));
    const usedKeys = new Set([...source.matchAll(/KEYS\[(\d+)\]/g)].map((match) => Number(match[1])));
    const header = source.slice(0, source.search(/^[^-\n]/m));

    expect(header).toMatch(/-- KEYS\[1\]/);
    expect(header).toMatch(/-- Returns:/);
    expect(Math.max(...usedKeys)).toBe(declaredKeys);
    expect(source).not.toMatch(/KEYS\[\d+\]\s*\.\./);
    expect(source).not.toMatch(/\b(KEYS|SCAN|SMEMBERS|HGETALL|HKEYS|HVALS)\b\s*'/);
    expect(source).not.toMatch(/'LRANGE',\s*KEYS\[\d\],\s*0,\s*-1/);
  });

  it('should end up inside an esbuild bundle of the queue library, with no file to read at run time', async () => {
    const result = await build({
      entryPoints: [join(__dirname, '../../../lib/queue/index.ts')],
      bundle: true,
      platform: 'node',
      write: false,
      external: ['ioredis', 'pino', 'zod'],
      logLevel: 'silent',
    });
    const bundle = result.outputFiles[0]!.text;

    expect(bundle).toContain('-- lease: acks the piggybacked receipts');
    expect(bundle).not.toMatch(/readFileSync\([^)]*\.lua/);
  });
});
