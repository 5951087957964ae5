// seed002_client.mjs - seed 002's utils/codeExecution.ts executeCode(),
// as plain JavaScript for node: the same URL, method, headers and body,
// reading the same fields.  Reads the request JSON on stdin and prints
// the CodeExecutionResponse it returns.
const apiKey = process.env.NEXT_PUBLIC_CODE_EXECUTION_API_KEY;
const apiUrl = process.env.CODE_EXECUTION_API_URL;

async function executeCode(request) {
  try {
    if (!apiKey) {
      throw new Error('API key not configured');
    }
    const response = await fetch(`${apiUrl}/execute`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-API-Key': apiKey,
        'Origin': 'https://pylearn.net'
      },
      body: JSON.stringify(request)
    });
    if (!response.ok) {
      const errorText = await response.text();
      throw new Error(`API error (${response.status}): ${errorText}`);
    }
    return await response.json();
  } catch (error) {
    return { output: '', error: `Error: ${error.message}`,
             execution_time: 0 };
  }
}

let input = '';
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', async () => {
  const result = await executeCode(JSON.parse(input));
  // What the component reads.
  const shown = {
    output: result.output,
    error: result.error,
    execution_time: result.execution_time,
    test_results: (result.test_results || []).map((t) => ({
      passed: t.passed, message: t.message, input: t.input,
      expected_output: t.expected_output })),
  };
  process.stdout.write(JSON.stringify(shown));
});
