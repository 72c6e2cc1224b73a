/**
 * The built-in gridworld layouts, each with its source. The map legend is documented at the top of
 * envs/gridworld.ts; a layout's `legend` only lists what differs from the default legend.
 *
 * | Name           | Size   | Source                                                              |
 * |----------------|--------|---------------------------------------------------------------------|
 * | `4x4`          | 4×4    | Sutton & Barto (2018), *Reinforcement Learning: An Introduction*, 2nd ed., Example 4.1 |
 * | `5x5`          | 5×5    | Sutton & Barto (2018), Example 3.5 (Figures 3.2 and 3.5)            |
 * | `CliffWalking` | 4×12   | Sutton & Barto (2018), Example 6.6                                  |
 * | `FourRooms`    | 13×13  | Sutton, Precup & Singh (1999), "Between MDPs and semi-MDPs", Artificial Intelligence 112 |
 * | `Maze`         | 17×17  | tsgym: a perfect maze generated once by randomized depth-first search and fixed here |
 */
import type { GridLayout } from './gridworld.js';

/**
 * Example 4.1: the two shaded corners are terminal and every transition costs -1, bumping the edge
 * included. The book's task is undiscounted and episodic; the book evaluates every non-terminal state, so
 * episodes start in one of the 14 non-terminal cells, uniformly.
 */
export const LAYOUT_4X4: GridLayout = {
  name: '4x4',
  source: 'Sutton & Barto (2018), Example 4.1',
  map: ['T...', '....', '....', '...T'],
  stepReward: -1,
};

/**
 * Example 3.5: from A every action moves the agent to A' with reward +10, from B to B' with +5; an action
 * that would leave the grid leaves the agent in place with reward -1; every other move earns 0. The task
 * is continuing (no terminal cell): the book's values (Figures 3.2 and 3.5) use gamma = 0.9, and the
 * registered env cuts episodes after 100 steps. Episodes start in any of the 25 cells, uniformly.
 */
export const LAYOUT_5X5: GridLayout = {
  name: '5x5',
  source: 'Sutton & Barto (2018), Example 3.5',
  map: ['.A.B.', '.....', '...b.', '.....', '.a...'],
  legend: {
    A: { kind: 'teleport', to: 'a', reward: 10 },
    B: { kind: 'teleport', to: 'b', reward: 5 },
  },
  stepReward: 0,
  bumpReward: -1,
};

/**
 * Example 6.6: -1 per step; stepping onto the cliff costs -100 and sends the agent back to the start
 * (the episode goes on); the goal is terminal and entering it costs the usual -1. The shortest path
 * (up, 11 × right, down) returns -13.
 */
export const LAYOUT_CLIFF_WALKING: GridLayout = {
  name: 'CliffWalking',
  source: 'Sutton & Barto (2018), Example 6.6',
  map: ['............', '............', '............', 'SCCCCCCCCCCG'],
  legend: { G: { kind: 'terminal' } },
  stepReward: -1,
};

/**
 * The four-room world of Sutton, Precup & Singh (1999): 104 free cells in an 11×11 interior, four rooms
 * joined by four one-cell hallways. The goal is our choice: the cell at row 9, col 9 of the map (inside
 * the bottom-right room); reaching it earns +1 and ends the episode, every other step earns 0. Episodes
 * start in any non-goal cell, uniformly. The paper's moves were stochastic (the intended direction with
 * probability 2/3, each other direction with 1/9): `slip: 1/3` reproduces that; the default is
 * deterministic.
 */
export const LAYOUT_FOUR_ROOMS: GridLayout = {
  name: 'FourRooms',
  source: 'Sutton, Precup & Singh (1999), Between MDPs and semi-MDPs, Artificial Intelligence 112:181-211',
  map: [
    '#############',
    '#.....#.....#',
    '#.....#.....#',
    '#...........#',
    '#.....#.....#',
    '#.....#.....#',
    '##.####.....#',
    '#.....###.###',
    '#.....#.....#',
    '#.....#..G..#',
    '#...........#',
    '#.....#.....#',
    '#############',
  ],
  stepReward: 0,
};

/**
 * A 15×15 perfect maze (one path between any two cells; 127 free cells) inside a wall border, generated
 * once by randomized depth-first search and fixed here. Start top-left, goal bottom-right, 60 moves apart
 * on the only path. -1 per step, the step into the goal included, so the return is minus the episode
 * length and the best return is -60. A uniform random walk rarely finds the goal within the time limit.
 */
export const LAYOUT_MAZE: GridLayout = {
  name: 'Maze',
  source: 'tsgym (randomized depth-first search maze, 8×8 junctions)',
  map: [
    '#################',
    '#S#.......#.....#',
    '#.#.###.#.#####.#',
    '#.#...#.#.....#.#',
    '#.###.#.#####.#.#',
    '#...#.#...#.#.#.#',
    '###.#####.#.#.#.#',
    '#...#.....#...#.#',
    '#.###.#####.###.#',
    '#...#.#...#.#...#',
    '###.#.#.#.#.###.#',
    '#.#...#.#.#.#...#',
    '#.#####.###.#.###',
    '#...#.....#.#...#',
    '#.###.###.#.###.#',
    '#.......#......G#',
    '#################',
  ],
  legend: { G: { kind: 'terminal' } },
  stepReward: -1,
};

/** Built-in layouts by name; `new GridWorldEnv({layout: 'FourRooms'})` looks names up here (case-insensitive). */
export const GRIDWORLD_LAYOUTS: Readonly<Record<string, GridLayout>> = {
  '4x4': LAYOUT_4X4,
  '5x5': LAYOUT_5X5,
  CliffWalking: LAYOUT_CLIFF_WALKING,
  FourRooms: LAYOUT_FOUR_ROOMS,
  Maze: LAYOUT_MAZE,
};
