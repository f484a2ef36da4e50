// A small hand-labelled set of instructions for measuring a category tagger (tests, and the report's "tagger
// accuracy" line). Most are taken verbatim from the book's instruction-data.json test split; the rest are the tiny
// task families (@judgekit/datasets) and generic Alpaca-style prompts. Labelled by hand before the rules were
// revised, with these guidelines:
// - factual recall: the answer needs stored world knowledge that the prompt does not hold (capitals, symbols,
//   authors, definitions, explaining a concept, formulas, naming or classifying real things by their properties);
// - rewriting/formatting: the answer transforms or analyses the given text or word with language skill alone
//   (rewrite, correct, translate, voice/tense/case changes, synonyms, antonyms, plurals, past tenses, parts of
//   speech, sentence types, copying or spelling a word);
// - reasoning/math: arithmetic, unit conversion, calculation, number properties, sequences, ordering numbers;
// - other: open-ended generation (a sentence using a word, an anecdote, a poem, advice, titles).
// The rules were revised with this set in view, so their accuracy on it is an in-sample (optimistic) figure. History:
// the rules before issue 14 tagged 64 of the 88 as labelled; the first revision (made with the first 76 in view)
// tagged all 76, but only 4 of the last 12, labelled afterwards as a check; a second revision fixed those 8 misses.
// Out of sample, expect well under the in-sample figure on unfamiliar phrasings.
import type { DefaultCategory } from './category-tagger.js';

export interface LabelledInstruction {
  instruction: string;
  input: string;
  category: DefaultCategory;
}

const F = 'factual recall';
const R = 'rewriting/formatting';
const M = 'reasoning/math';
const O = 'other';

const row = (instruction: string, input: string, category: DefaultCategory): LabelledInstruction => ({ instruction, input, category });

export const HAND_LABELLED_INSTRUCTIONS: readonly LabelledInstruction[] = [
  // The book's test split (instruction-data.json).
  row('Rewrite the sentence using a simile.', 'The car is very fast.', R),
  row('What type of cloud is typically associated with thunderstorms?', '', F),
  row("Name the author of 'Pride and Prejudice'.", '', F),
  row('What is the periodic symbol for chlorine?', '', F),
  row('Correct the punctuation in the sentence.', 'Its time to go home.', R),
  row('Rewrite the sentence.', 'The lecture was delivered in a clear manner.', R),
  row('Generate a humorous anecdote.', '', O),
  row("Identify the correct spelling: 'recieve' or 'receive'.", '', R),
  row("Create a sentence using the word 'nostalgia'.", '', O),
  row('Classify the following numbers as prime or composite.', ': 11, 14, 19.', M),
  row('What is the capital of Denmark?', '', F),
  row("What is the opposite of 'wet'?", '', R),
  row('Identify the type of sentence.', 'Did you finish the report?', R),
  row('Describe the process of active transport in cells.', '', F),
  row('Classify the following items as either solid, liquid, or gas.', 'Mercury, oxygen, wood', F),
  row('Convert 3 kilometers to meters.', '', M),
  row('Convert the sentence to use an indefinite pronoun.', 'Someone left a note.', R),
  row("Provide a synonym for 'excited'.", '', R),
  row('Generate a sentence that follows the pattern: "Never have I ever _____ without _____"', '', O),
  row('Pick out the adjective from the following list.', 'run, tall, quickly', R),
  row('Categorize the given list of animals.', 'Shark, Dolphin, Trout', F),
  row("Translate 'library' into Spanish.", '', R),
  row("Define the term 'hyperbole'.", '', F),
  row('What is the chemical formula for magnesium sulfate?', '', F),
  row('Rewrite the following sentence to replace any cliché phrases.', "It's a piece of cake", R),
  row('List five different types of vegetables.', '', F),
  row("What is the past tense of 'sing'?", '', R),
  row('Convert this sentence to passive voice', 'The gardener watered the plants.', R),
  row('Explain what a sonnet is.', '', F),
  row("Provide the plural form of 'cactus'.", '', R),
  row('Re-word this sentence using an indirect question.', 'What time is the meeting?', R),
  row('Categorize the following sentence as a statement, a question, or an exclamation.', 'What a beautiful day!', R),
  row('Find a synonym for the given verb.', 'Begin', R),
  row('Edit the given text to ensure all plural nouns are spelled correctly.', 'The birds sings beautiful songs.', R),
  row('Transform the following sentence into a question using "could."', 'You can help me tomorrow.', R),
  row('Classify the following items: bicycle, rose, tiger.', '', F),
  row('Explain the primary function of the human heart.', '', F),
  row('Reword the following sentence to the future tense.', 'He is reading a novel inspired by his grandmother.', R),
  row('Categorize the following sentence as either factual or opinion-based.', 'Chocolate is the best dessert.', R),
  row("What is an antonym of 'old'?", '', R),
  row('What is the boiling point of sulfur in Celsius?', '', F),
  row("What is the plural form of 'child'?", '', R),
  row('Name three forms of water.', '', F),
  row("Split the following sentence into two declarative sentences: 'The movie was long but interesting.'", '', R),
  row('Classify the following substances as acid, base, or neutral.', 'Lemon juice, Soap, Water', F),
  row('Correct any spelling mistakes in the given sentence.', 'I prefer homemade cookies to store boaght.', R),
  row('Sort the following list in descending order.', '10, 2, 25, 16, 7', M),
  row("Create a simile with the word 'as cold as'.", '', O),
  row('Classify the following words by their grammatical categories: swim, beautiful, quickly', '', R),
  row('Calculate the density of an object with a mass of 15 grams and a volume of 5 cubic centimeters.', '', M),
  row("What is the abbreviation for 'Master of Business Administration'?", '', F),
  row('Convert the following number from Roman numerals: IX.', '', M),
  row('Identify the main verb in the sentence.', 'The dog barked loudly.', R),
  row('What is the formula for calculating work done?', '', F),
  row('Rewrite the given sentence to describe the same thing in a positive way.', 'The food was not good.', R),
  row('Name three essential vitamins for human health.', '', F),
  row('Convert 200 centimeters to meters.', '', M),
  row("Generate a sentence using the word 'generous'.", '', O),
  row('Describe the basic structure of a neuron.', '', F),
  row('What are the first 10 elements of the Fibonacci sequence?', '', M),
  row('Classify each sentence as either declarative, interrogative, imperative, or exclamatory.', 'Please open the door.', R),
  row('Convert 50 miles per hour to kilometers per hour.', '', M),
  // The tiny task families (@judgekit/datasets tinyTasks).
  row('What is 17 + 25?', '', M),
  row('What is 9 * 7?', '', M),
  row('Add the two numbers.', '14 and 38', M),
  row('Repeat the following word.', 'garden', R),
  row('Write the following word in capital letters.', 'river', R),
  row('Spell the following word backwards.', 'apple', R),
  row('What colour is a banana?', '', F),
  row('Name the capital of the country.', 'Veloria', F),
  // Generic Alpaca-style prompts.
  row('Give three tips for staying healthy.', '', O),
  row('Write a short poem about autumn.', '', O),
  row('Suggest a title for a mystery novel.', '', O),
  row('Who painted the Mona Lisa?', '', F),
  row('If a train travels 90 km in 1.5 hours, what is its average speed?', '', M),
  row('Summarize the following paragraph in one sentence.', 'The committee met on Monday. After a long debate, it approved the budget for next year.', R),
  // Labelled after the rules were first revised, as a check on them (the report's test run and common phrasings).
  row('How many legs does a spider have?', '', F),
  row('How many days are in a leap year?', '', F),
  row('Which is larger, 0.5 or 0.45?', '', M),
  row('Explain why the sky is blue.', '', F),
  row('Give an example of a metaphor.', '', O),
  row('Make a list of three fruits.', '', F),
  row('Describe your ideal weekend.', '', O),
  row('Put the following words in alphabetical order.', 'pear, apple, fig', R),
  row('Count the vowels in the word.', 'banana', M),
  row('What is the square of 12?', '', M),
  row('Tell me a joke.', '', O),
  row('Who invented the telephone?', '', F),
];

export interface TaggerAccuracy {
  tagger: string;
  correct: number;
  total: number;
  accuracy: number;
  /** The items the tagger got wrong, with what it said. */
  misses: Array<LabelledInstruction & { tagged: string }>;
}

/** Share of the set a tagger labels as the hand labels do. */
export function measureTaggerAccuracy(tagger: string, tags: readonly string[], set: readonly LabelledInstruction[] = HAND_LABELLED_INSTRUCTIONS): TaggerAccuracy {
  const misses = set.flatMap((item, i) => (tags[i] === item.category ? [] : [{ ...item, tagged: tags[i] ?? '(none)' }]));
  const correct = set.length - misses.length;
  return { tagger, correct, total: set.length, accuracy: set.length === 0 ? Number.NaN : correct / set.length, misses };
}
