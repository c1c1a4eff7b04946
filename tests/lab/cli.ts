// `npm run lab -- install` installs and builds what the test lab needs and prints how long each took;
// `npm run lab -- up` starts the lab, prints how to reach it, and tears it down on Ctrl-C.
import { ensureLabTools } from './install.ts'
import { describeTimings, startLab } from './lab.ts'

const command = process.argv[2]
if (command === 'install') {
  const { steps } = await ensureLabTools()
  for (const step of steps) console.log(`${step.tool}: ${step.cached ? 'already installed' : 'installed'} in ${(step.ms / 1000).toFixed(1)}s`)
} else if (command === 'up') {
  const lab = await startLab()
  console.log(describeTimings(lab))
  const { openbao, vault, kube, postgres, runDir } = lab.info
  console.log(`\nexport VAULT_ADDR=${openbao.address} VAULT_TOKEN=${openbao.rootToken}\nexport KUBECONFIG=${kube.kubeconfig}`)
  console.log(`HashiCorp Vault beside it: VAULT_ADDR=${vault.address} VAULT_TOKEN=${vault.rootToken}`)
  console.log(`PostgreSQL: ${postgres.user}@${postgres.host}:${postgres.port} (password in ${runDir}/postgres/password)`)
  console.log('\nThe lab runs until Ctrl-C.')
  await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve))
  await lab.stop()
} else {
  console.error('usage: npm run lab -- install | up')
  process.exit(2)
}
