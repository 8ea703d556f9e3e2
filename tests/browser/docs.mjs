// The users service's /docs page in a real browser (Debian's chromium, headless, driven by
// playwright-core): create a user with "Try it out" on POST /users (201), log in through the
// OAuth2 password form of "Authorize", then call GET /users/me with the token (200).
//   node tests/browser/docs.mjs BASE_URL SCREENSHOT_PATH
// Exits 0 when every step passed, 1 with the failing step otherwise; saves a screenshot of the
// page either way. CHROMIUM overrides /usr/bin/chromium. docs_browser_test.cpp runs it.
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';

const [baseUrl, screenshotPath] = process.argv.slice(2);
if (!baseUrl || !screenshotPath) {
  console.error('usage: node docs.mjs BASE_URL SCREENSHOT_PATH');
  process.exit(2);
}
// Waits are for events (an element appearing); the bound only keeps a broken page from hanging
// the suite, so it is generous.
const bound = 120_000;
const origin = new URL(baseUrl).origin;
const username = `docs_${process.pid}`;
const password = 'correct horse battery';

// No network beyond the service: no updates, sync, QUIC or GPU process; a fresh profile.
const profile = await mkdtemp(join(tmpdir(), 'keel-docs-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
         '--disable-sync', '--no-first-run', '--disable-quic'],
  viewport: { width: 1280, height: 900 },
  timeout: bound,
});
context.setDefaultTimeout(bound);

const problems = [];  // what the page did wrong besides a failed step
context.on('request', (request) => {
  const url = new URL(request.url());
  if (url.origin !== origin && url.protocol !== 'data:')
    problems.push(`the page fetched ${request.url()}: everything must come from the service`);
});
const page = context.pages()[0] ?? await context.newPage();
page.on('pageerror', (error) => problems.push(`uncaught error in the page: ${error.message}`));
page.on('console', (message) => {
  if (message.type() === 'error' && /Content Security Policy/i.test(message.text()))
    problems.push(`CSP violation: ${message.text()}`);
});

// The operation block of METHOD PATH, expanded, with "Try it out" pressed.
async function tryOut(method, path) {
  const block = page.locator(`.opblock-${method}`)
    .filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });
  await block.locator('.opblock-summary').first().click();
  await block.getByRole('button', { name: 'Try it out' }).click();
  return block;
}

// Presses Execute in `block` and returns the status of the live response it shows.
async function execute(block) {
  await block.getByRole('button', { name: 'Execute' }).click();
  const status = block.locator('.live-responses-table .response .response-col_status').first();
  await status.waitFor();
  const body = block.locator('.live-responses-table .response-col_description .highlight-code').first();
  return { status: (await status.innerText()).trim(), body: await body.innerText() };
}

async function createUser() {
  const block = await tryOut('post', '/users');
  await block.locator('textarea.body-param__text').fill(JSON.stringify({ username, password }));
  const result = await execute(block);
  if (result.status !== '201')
    throw new Error(`POST /users answered ${result.status}: ${result.body}`);
}

async function authorize() {
  await page.locator('.auth-wrapper button.authorize').click();
  const dialog = page.locator('.dialog-ux .modal-ux');
  // The document may offer other schemes beside it (HTTPBearer): this is the password flow's form.
  const form = dialog.locator('.auth-container').filter({ hasText: '(OAuth2, password)' });
  await form.locator('#oauth_username').fill(username);
  await form.locator('#oauth_password').fill(password);
  await form.getByRole('button', { name: 'Apply given OAuth2 credentials' }).click();
  // Swagger UI shows Logout once the token endpoint answered with a token, errors otherwise.
  const loggedIn = form.getByRole('button', { name: 'Remove authorization' });
  const errors = form.locator('.errors');
  await loggedIn.or(errors).first().waitFor();
  if (await errors.count() > 0)
    throw new Error(`authorization failed: ${await errors.first().innerText()}`);
  await dialog.locator('button.close-modal').click();
}

async function readMe() {
  const block = await tryOut('get', '/users/me');
  const result = await execute(block);
  if (result.status !== '200' || !result.body.includes(`"username": "${username}"`))
    throw new Error(`GET /users/me answered ${result.status}: ${result.body}`);
}

// The page, and Swagger UI's rendering of the document (or its error when it could not load it).
async function open() {
  const answer = await page.goto(`${baseUrl}/docs`);
  if (!answer.ok())
    throw new Error(`GET /docs answered ${answer.status()}`);
  const errors = page.locator('.swagger-ui .errors-wrapper');
  const empty = page.getByText('No operations defined in spec!');
  await page.locator('.swagger-ui .opblock').first().or(errors).or(empty).first().waitFor();
  if (await errors.count() > 0)
    throw new Error(`Swagger UI could not show the document: ${await errors.first().innerText()}`);
  if (await empty.count() > 0)
    throw new Error('Swagger UI found no operations in the document');
}

let failure;
try {
  await open();
  await createUser();
  await authorize();
  await readMe();
} catch (error) {
  failure = error;
}
await mkdir(dirname(screenshotPath), { recursive: true });
await page.screenshot({ path: screenshotPath, fullPage: true }).catch((error) => problems.push(`no screenshot: ${error.message}`));
await context.close();
await rm(profile, { recursive: true, force: true });

if (failure)
  problems.unshift(`step failed: ${failure.message}`);
for (const problem of problems)
  console.error(problem);
console.log(problems.length === 0 ? `docs: all steps passed; screenshot ${screenshotPath}` : 'docs: FAILED');
process.exit(problems.length === 0 ? 0 : 1);
