// Validates an OpenAPI document against the OpenAPI 3.1 schema (and its $refs) with
// @apidevtools/swagger-parser: `node tests/openapi/validate.mjs FILE`. Prints "valid" and exits 0,
// or prints why not and exits 1.
import { readFile } from 'node:fs/promises';
import SwaggerParser from '@apidevtools/swagger-parser';

try {
    const document = JSON.parse(await readFile(process.argv[2], 'utf8'));
    await SwaggerParser.validate(document);
    console.log('valid');
} catch (error) {
    console.log(`invalid: ${error.message}`);
    process.exit(1);
}
