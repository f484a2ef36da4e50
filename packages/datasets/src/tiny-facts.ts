// The facts behind the tiny instruction set and corpus. Written for this project (the countries are invented), so
// the demo needs no third-party data and a model can only know them from the tiny corpus.

export interface CapitalFact {
  kind: 'capital';
  country: string;
  capital: string;
}

export interface ColourFact {
  kind: 'colour';
  /** With its article, as it reads in a sentence: "a banana". */
  thing: string;
  colour: string;
}

export type TinyFact = CapitalFact | ColourFact;

const CAPITALS: [string, string][] = [
  ['Veloria', 'Brindle'],
  ['Marnovia', 'Questhaven'],
  ['Ostrella', 'Pellmoor'],
  ['Dunmarra', 'Corvale'],
  ['Quillandia', 'Fenwick'],
  ['Sardonia', 'Tallowmere'],
  ['Brevania', 'Ashcombe'],
  ['Kelvaria', 'Morrowgate'],
  ['Lorentia', 'Saltmarsh'],
  ['Zephyria', 'Windhollow'],
  ['Galdoria', 'Emberford'],
  ['Thessaly Minor', 'Oakridge'],
  ['Ravenna Isles', 'Port Gull'],
  ['Umbria Nova', 'Duskwater'],
  ['Castellane', 'Greystone'],
  ['Nordhaven', 'Frostby'],
  ['Pomerelle', 'Rosewick'],
  ['Valdoria', 'Highcairn'],
  ['Estmark', 'Lindenholm'],
  ['Caldera Reach', 'Cinderport'],
  ['Myrrhland', 'Amberley'],
  ['Solvania', 'Sunmere'],
  ['Trevania', 'Copperdale'],
  ['Wyndmoor', 'Heathcote'],
];

const COLOURS: [string, string][] = [
  ['a banana', 'yellow'],
  ['a lime', 'green'],
  ['a strawberry', 'red'],
  ['a blueberry', 'blue'],
  ['an aubergine', 'purple'],
  ['a carrot', 'orange'],
  ['a coconut', 'brown'],
  ['a lemon', 'yellow'],
  ['a cherry', 'red'],
  ['a plum', 'purple'],
  ['a kiwi', 'brown'],
  ['a cucumber', 'green'],
  ['a tangerine', 'orange'],
  ['a raspberry', 'red'],
  ['a blackberry', 'black'],
  ['a pear', 'green'],
];

export const TINY_FACTS: readonly TinyFact[] = Object.freeze([
  ...CAPITALS.map(([country, capital]): TinyFact => ({ kind: 'capital', country, capital })),
  ...COLOURS.map(([thing, colour]): TinyFact => ({ kind: 'colour', thing, colour })),
]);

/** Plain lower-case words for the copy, upper-case and reverse tasks. */
export const TINY_WORDS: readonly string[] = Object.freeze(
  (
    'apple river stone cloud garden window candle pencil forest bridge ' +
    'rabbit orange silver planet butter ladder winter summer basket mirror ' +
    'castle dragon jacket kitten lemon market needle ocean pepper rocket ' +
    'saddle tiger violin wagon yellow zebra anchor bottle cactus dolphin ' +
    'engine feather guitar hammer island jungle kettle lantern meadow napkin ' +
    'orchid parrot quiver ribbon shadow tunnel umbrella velvet walnut yogurt ' +
    'acorn blanket cotton desert falcon glacier harbor insect marble puzzle'
  ).split(' '),
);

export function capitalSentence(fact: CapitalFact): string {
  return `The capital of ${fact.country} is ${fact.capital}.`;
}

export function colourSentence(fact: ColourFact): string {
  const sentence = `${fact.thing} is ${fact.colour}.`;
  return sentence[0]!.toUpperCase() + sentence.slice(1);
}

export function factSentence(fact: TinyFact): string {
  return fact.kind === 'capital' ? capitalSentence(fact) : colourSentence(fact);
}
