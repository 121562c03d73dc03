/**
 * @module census
 * People and places for synthetic demographics: common US given and family names, real US cities
 * with a ZIP code and coordinates, and the OMB race and ethnicity categories (CDC Race & Ethnicity codes).
 */
import type { Code } from './vocabulary.js';
import { SYSTEM } from './vocabulary.js';

export const GIVEN_MALE: readonly string[] = [
  'James', 'Robert', 'John', 'Michael', 'David', 'William', 'Richard', 'Joseph', 'Thomas', 'Christopher',
  'Charles', 'Daniel', 'Matthew', 'Anthony', 'Mark', 'Steven', 'Paul', 'Andrew', 'Joshua', 'Kenneth',
  'Kevin', 'Brian', 'Timothy', 'Ronald', 'Jason', 'George', 'Edward', 'Jeffrey', 'Ryan', 'Jacob',
  'Nicholas', 'Gary', 'Eric', 'Jonathan', 'Stephen', 'Larry', 'Justin', 'Benjamin', 'Scott', 'Brandon',
  'Samuel', 'Gregory', 'Alexander', 'Patrick', 'Frank', 'Jack', 'Raymond', 'Dennis', 'Tyler', 'Aaron',
  'Jose', 'Carlos', 'Luis', 'Miguel', 'Juan', 'Wei', 'Minh', 'Hiroshi', 'Arjun', 'Omar',
  'Liam', 'Noah', 'Oliver', 'Elijah', 'Lucas', 'Mason', 'Ethan', 'Logan', 'Aiden', 'Mateo',
];

export const GIVEN_FEMALE: readonly string[] = [
  'Mary', 'Patricia', 'Jennifer', 'Linda', 'Elizabeth', 'Barbara', 'Susan', 'Jessica', 'Karen', 'Sarah',
  'Lisa', 'Nancy', 'Sandra', 'Betty', 'Ashley', 'Emily', 'Kimberly', 'Margaret', 'Donna', 'Michelle',
  'Carol', 'Amanda', 'Melissa', 'Deborah', 'Stephanie', 'Rebecca', 'Sharon', 'Laura', 'Cynthia', 'Dorothy',
  'Amy', 'Kathleen', 'Angela', 'Shirley', 'Emma', 'Brenda', 'Pamela', 'Nicole', 'Anna', 'Samantha',
  'Katherine', 'Christine', 'Debra', 'Rachel', 'Carolyn', 'Janet', 'Maria', 'Olivia', 'Heather', 'Helen',
  'Sofia', 'Isabella', 'Camila', 'Lucia', 'Guadalupe', 'Mei', 'Linh', 'Yuki', 'Priya', 'Fatima',
  'Ava', 'Mia', 'Charlotte', 'Amelia', 'Harper', 'Evelyn', 'Abigail', 'Ella', 'Chloe', 'Grace',
];

export const FAMILY: readonly string[] = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
  'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson',
  'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores',
  'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts',
  'Gomez', 'Phillips', 'Evans', 'Turner', 'Diaz', 'Parker', 'Cruz', 'Edwards', 'Collins', 'Reyes',
  'Stewart', 'Morris', 'Morales', 'Murphy', 'Cook', 'Rogers', 'Gutierrez', 'Ortiz', 'Morgan', 'Cooper',
  'Peterson', 'Bailey', 'Reed', 'Kelly', 'Howard', 'Ramos', 'Kim', 'Cox', 'Ward', 'Richardson',
  'Watson', 'Brooks', 'Chavez', 'Wood', 'James', 'Bennett', 'Gray', 'Mendoza', 'Ruiz', 'Hughes',
  'Price', 'Alvarez', 'Castillo', 'Sanders', 'Patel', 'Myers', 'Long', 'Ross', 'Foster', 'Chen',
];

export const STREETS: readonly string[] = [
  'Main St', 'Oak Ave', 'Maple St', 'Cedar Ln', 'Pine St', 'Elm St', 'Washington Ave', 'Lake Dr',
  'Hill Rd', 'Park Ave', 'Sunset Blvd', 'Highland Ave', 'Church St', 'Mill Rd', 'River Rd', 'Meadow Ln',
  'Jefferson St', 'Lincoln Ave', 'Franklin St', 'Walnut St', 'Spring St', 'Chestnut St', 'Willow Way', 'Valley View Dr',
];

/** A real US city with one of its ZIP codes, telephone area code and approximate coordinates. */
export interface City {
  readonly city: string;
  readonly state: string;
  readonly zip: string;
  readonly areaCode: string;
  readonly lat: number;
  readonly lon: number;
}

export const CITIES: readonly City[] = [
  { city: 'Solana Beach', state: 'CA', zip: '92075', areaCode: '858', lat: 32.9912, lon: -117.2711 },
  { city: 'San Diego', state: 'CA', zip: '92101', areaCode: '619', lat: 32.7157, lon: -117.1611 },
  { city: 'Encinitas', state: 'CA', zip: '92024', areaCode: '760', lat: 33.0370, lon: -117.2920 },
  { city: 'Oceanside', state: 'CA', zip: '92054', areaCode: '760', lat: 33.1959, lon: -117.3795 },
  { city: 'Escondido', state: 'CA', zip: '92025', areaCode: '760', lat: 33.1192, lon: -117.0864 },
  { city: 'Los Angeles', state: 'CA', zip: '90012', areaCode: '213', lat: 34.0522, lon: -118.2437 },
  { city: 'Phoenix', state: 'AZ', zip: '85004', areaCode: '602', lat: 33.4484, lon: -112.0740 },
  { city: 'Austin', state: 'TX', zip: '78701', areaCode: '512', lat: 30.2672, lon: -97.7431 },
  { city: 'Houston', state: 'TX', zip: '77002', areaCode: '713', lat: 29.7604, lon: -95.3698 },
  { city: 'Denver', state: 'CO', zip: '80202', areaCode: '303', lat: 39.7392, lon: -104.9903 },
  { city: 'Chicago', state: 'IL', zip: '60601', areaCode: '312', lat: 41.8781, lon: -87.6298 },
  { city: 'Columbus', state: 'OH', zip: '43215', areaCode: '614', lat: 39.9612, lon: -82.9988 },
  { city: 'Atlanta', state: 'GA', zip: '30303', areaCode: '404', lat: 33.7490, lon: -84.3880 },
  { city: 'Boston', state: 'MA', zip: '02108', areaCode: '617', lat: 42.3601, lon: -71.0589 },
  { city: 'Seattle', state: 'WA', zip: '98101', areaCode: '206', lat: 47.6062, lon: -122.3321 },
  { city: 'Portland', state: 'OR', zip: '97204', areaCode: '503', lat: 45.5152, lon: -122.6784 },
  { city: 'Nashville', state: 'TN', zip: '37203', areaCode: '615', lat: 36.1627, lon: -86.7816 },
  { city: 'Minneapolis', state: 'MN', zip: '55401', areaCode: '612', lat: 44.9778, lon: -93.2650 },
];

const race = (code: string, display: string): Code => ({ system: SYSTEM.cdcRace, code, display });

/** OMB race categories with rough US shares. */
export const RACES: readonly (readonly [Code, number])[] = [
  [race('2106-3', 'White'), 60],
  [race('2054-5', 'Black or African American'), 13],
  [race('2028-9', 'Asian'), 7],
  [race('1002-5', 'American Indian or Alaska Native'), 1.5],
  [race('2076-8', 'Native Hawaiian or Other Pacific Islander'), 0.5],
];

export const HISPANIC = race('2135-2', 'Hispanic or Latino');
export const NOT_HISPANIC = race('2186-5', 'Not Hispanic or Latino');
