// Electron's own install step downloads its binary; where that cannot be done, npm drops the optional
// `electron` package. The shell must still typecheck, so keep the same version's type declarations
// in node_modules/.electron-types/, which tsconfig.app.json maps `electron` to on every machine.
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const pkg = JSON.parse(readFileSync('package.json', 'utf8'))
const version = pkg.optionalDependencies.electron
const targetDir = join('node_modules', '.electron-types')
const target = join(targetDir, 'electron.d.ts')
const stamp = join(targetDir, 'version')

if (existsSync(target) && existsSync(stamp) && readFileSync(stamp, 'utf8') === version) process.exit(0)
mkdirSync(targetDir, { recursive: true })

const installed = join('node_modules', 'electron')
if (existsSync(join(installed, 'electron.d.ts')) && JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).version === version) {
  copyFileSync(join(installed, 'electron.d.ts'), target)
} else {
  const work = mkdtempSync(join(tmpdir(), 'electron-types-'))
  try {
    const tarball = execFileSync('npm', ['pack', `electron@${version}`, '--silent', '--pack-destination', work], { encoding: 'utf8' }).trim().split('\n').pop()
    execFileSync('tar', ['-xzf', join(work, tarball), '-C', work, 'package/electron.d.ts'])
    copyFileSync(join(work, 'package', 'electron.d.ts'), target)
  } catch (error) {
    console.error(`Could not fetch the type declarations of electron@${version}: ${error.message}\n` +
      `Fix the network to the npm registry and run \`npm install\` again.`)
    process.exit(1)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  console.log(`electron@${version} is not installed (its binary could not be downloaded); the shell typechecks against its declarations. See README, "The desktop shell".`)
}
writeFileSync(stamp, version)
