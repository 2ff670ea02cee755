/**
 * CI's entry point is a shell script that cannot be run here as CI runs it (it installs system
 * packages and runs the whole suite), so its contents are checked: the soak drill's CI variant
 * runs before the tests, with a fixed seed, its output in a directory removed at exit, and the
 * test command stays last, so that its summary closes the output.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const script = readFileSync(path.join(ROOT, '.ci/run'), 'utf8');
/** The commands of the script: lines that are neither blank nor comments. */
const commands = script.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));

describe('.ci/run', () => {
  it('should stop at the first failing command, a failing soak included', () => {
    expect(commands[0]).toBe('set -euo pipefail');
  });

  it('should run the two-minute soak with a fixed seed and a bounded drain before the tests', () => {
    const soak = commands.findIndex((command) => command.startsWith('npm run soak '));
    expect(commands[soak]).toBe('npm run soak -- --minutes 2 --rate 20 --seed 7 --drain-seconds 300 --out "$soak_out"');
    expect(soak).toBeLessThan(commands.indexOf('npm test'));
  });

  it('should write the soak output to a temporary directory that is removed when the script exits', () => {
    const made = commands.indexOf('soak_out="$(mktemp -d)"');
    const trap = commands.indexOf(`trap 'rm -rf "$soak_out"' EXIT`);
    expect({ made: made >= 0, trap: trap > made }).toEqual({ made: true, trap: true });
    expect(trap).toBeLessThan(commands.findIndex((command) => command.startsWith('npm run soak ')));
  });

  it('should run the test command last, so that its summary line closes the output', () => {
    expect(commands[commands.length - 1]).toBe('npm test');
  });
});
