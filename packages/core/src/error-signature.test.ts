import { errorSignature, messageShape } from './error-signature.js';

test('messageShape: numbers, quoted strings and URLs become placeholders', () => {
  expect(messageShape('no element matched "#row-17" within 5000 ms (step 3, click)')).toBe(
    'no element matched <str> within <n> ms (step <n>, click)',
  );
  expect(messageShape("https://shop.test/p/12?q=a could not be loaded: net::ERR_X 'x'")).toBe(
    '<url> could not be loaded: net::ERR_X <str>',
  );
  expect(messageShape('expected 1,234.50  got\n7')).toBe('expected <n> got <n>');
});

test('errorSignature: same code, path (iteration aside) and shape → same; any of them differs → different', () => {
  const a = errorSignature(
    'SELECTOR_NOT_FOUND',
    'steps[2].do[0]#7',
    'no element matched "#a1" within 500 ms',
  );
  expect(a).toMatch(/^[0-9a-f]{16}$/);
  expect(
    errorSignature('SELECTOR_NOT_FOUND', 'steps[2].do[0]#9', 'no element matched "#b2" within 700 ms'),
  ).toBe(a);
  expect(
    errorSignature('ASSERTION_FAILED', 'steps[2].do[0]#7', 'no element matched "#a1" within 500 ms'),
  ).not.toBe(a);
  expect(errorSignature('SELECTOR_NOT_FOUND', 'steps[3]', 'no element matched "#a1" within 500 ms')).not.toBe(
    a,
  );
  expect(errorSignature('SELECTOR_NOT_FOUND', 'steps[2].do[0]', 'the step did not finish')).not.toBe(a);
  expect(errorSignature('X', null, 'm')).toBe(errorSignature('X', null, 'm'));
});
