/**
 * The deployment pipeline cannot run here, so its file is checked instead: valid YAML, the
 * right order of jobs and approvals, and only commands that are npm scripts developers run too.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageDir, STAGES } from '../../../scripts/check-packages';
import { parseYaml } from '../../support/yaml';

const ROOT = path.resolve(__dirname, '../../..');

interface Step {
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  environment?: string | { name: string };
  strategy?: { matrix: { stage: string } };
  steps: Step[];
}
interface Workflow {
  on: { push: { branches: string[]; tags: string[] } };
  jobs: Record<string, Job>;
}

const workflowText = readFileSync(path.join(ROOT, '.github/workflows/deploy.yml'), 'utf8');
const workflow = parseYaml(workflowText) as Workflow;
const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const needsOf = (job: Job) => ([] as string[]).concat(job.needs ?? []);
const runs = (job: Job) => job.steps.flatMap((step) => (step.run ? [step.run] : []));

describe('.github/workflows/deploy.yml', () => {
  it('should be valid YAML that triggers on pushes to main and on release tags', () => {
    expect(workflow.on.push).toEqual({ branches: ['main'], tags: ['v*'] });
    expect(Object.keys(workflow.jobs)).toEqual(['test', 'package', 'deploy-dev', 'deploy-staging', 'deploy-production']);
  });

  it('should run only npm scripts that exist in package.json (the same commands as locally), and the system setup script', () => {
    const commands = Object.values(workflow.jobs).flatMap(runs);
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      if (command === 'sudo bash scripts/ensure-system-deps.sh' || command === 'npm ci --no-audit --no-fund' || command === 'npm test') continue;
      const match = /^npm run ([\w:-]+)( -- .*)?$/.exec(command);
      expect({ command, script: match ? scripts[match[1]!] : undefined }).toEqual({ command, script: expect.any(String) });
    }
    expect(scripts.test).toContain('scripts/ensure-system-deps.sh');
  });

  it('should test first, then package each stage once with the package check, then deploy that very package', () => {
    const { test, package: pack } = workflow.jobs;
    expect(runs(test!)).toEqual(expect.arrayContaining(['npm run typecheck', 'npm run queues:check', 'npm test']));
    expect(needsOf(pack!)).toEqual(['test']);
    expect(runs(pack!)).toEqual(['npm ci --no-audit --no-fund', 'npm run package:check -- --stage ${{ matrix.stage }}']);
    expect(scripts['package:check']).toBe('tsx scripts/check-packages.ts');
    const upload = pack!.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'));
    expect(upload?.with?.path).toBe(packageDir('${{ matrix.stage }}'));

    for (const stage of STAGES.filter((s) => s !== 'local')) {
      const job = workflow.jobs[`deploy-${stage}`]!;
      expect(needsOf(job)).toContain('package');
      const download = job.steps.find((s) => s.uses?.startsWith('actions/download-artifact'));
      expect(download?.with).toEqual({ name: `package-${stage}`, path: packageDir(stage) });
      expect(runs(job)).toContain(`npm run deploy -- --stage ${stage} --package ${packageDir(stage)}`);
      expect(runs(job).some((command) => command.includes('sls package'))).toBe(false);
    }
    expect(scripts.deploy).toBe('sls deploy');
  });

  it('should deploy dev on main, and staging then production on tags behind their GitHub environments', () => {
    const { 'deploy-dev': dev, 'deploy-staging': staging, 'deploy-production': production } = workflow.jobs;
    expect(dev!.if).toBe("github.ref == 'refs/heads/main'");
    expect(staging!.if).toBe("startsWith(github.ref, 'refs/tags/v')");
    expect(production!.if).toBe("startsWith(github.ref, 'refs/tags/v')");
    expect([dev!.environment, staging!.environment, production!.environment]).toEqual(['dev', 'staging', 'production']);
    expect(needsOf(production!)).toContain('deploy-staging');
    expect(workflow.jobs.package!.strategy!.matrix.stage).toContain('["staging","production"]');
  });

  it('should take AWS credentials from the CI secrets only, never write them into commands', () => {
    for (const job of Object.values(workflow.jobs)) {
      for (const step of job.steps) {
        expect(step.run ?? '').not.toMatch(/secrets\.|AKIA[0-9A-Z]{16}/);
        for (const [name, value] of Object.entries(step.env ?? {})) {
          if (/^AWS_/.test(name)) expect(value).toBe(`\${{ secrets.${name} }}`);
        }
      }
    }
    expect(workflowText).not.toMatch(/AKIA[0-9A-Z]{16}/);
  });
});
