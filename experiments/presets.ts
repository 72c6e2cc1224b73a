/**
 * Tuned presets per (agent, env): what `npm run train:<agent> <env>` uses with no other flag. Every value can
 * be overridden from the CLI (`--steps`, `--envs`, `--set key=value`). Hyperparameters not named here take
 * the agent's defaults (see the agent's `defaults`). An env without a tuned preset (a user's env) gets the
 * agent's defaults for new envs ({@link GENERIC_HYPERPARAMS}).
 */
import { agentRegistration } from '../agents/registry.js';
import { make, resolveEnvId } from '../envs/registry.js';
import { Box } from '../envs/spaces.js';
import type { RunPreset } from '../formats/run-spec.js';
import { commandLine } from '../core/command-line.js';

export type { RunPreset };

export const BASE_PRESET: RunPreset = {
  totalSteps: 100_000,
  numEnvs: 4,
  evalEvery: 10_000,
  evalEpisodes: 10,
  stopWhenSolved: true,
  checkpointEvery: 25_000,
  envKwargs: {},
  hyperparams: {},
};

type PresetTable = Record<string, Record<string, Partial<RunPreset>>>;

/** presets[agent][envId] */
export const PRESETS: PresetTable = {
  dqn: {
    // Collect 256 env steps (64 vector steps × 4 envs), then 96 gradient steps on batches of 128 (the RL-Zoo
    // CartPole rhythm, with a larger batch), with 5-step returns and γ = 0.99 (a horizon long enough to see the
    // cart drift) so values propagate quickly; the learning rate anneals to 0 over the budget, Adam's ε (1e-3)
    // damps the steps of small late gradients, advantage learning (α 0.25) keeps the action gap open, the
    // buffer (1M, never wrapped at these budgets) keeps the early failures, and the target network follows
    // by Polyak averaging (τ 0.01 per gradient step).
    //
    // Staying solved: trained on past the solve point (100k, no early stop), the
    // Q-network's greedy policy flips between 500 and ~100 from one eval to the next (the old preset, with hard
    // target copies every 128 steps and a 50k buffer: the first example, IQM 319 [105, 490] over 5 seeds).
    // Tried, seeds 0–3 (before the seeding change in core/seeds.ts; final evals):
    //   + lr annealed to 0 over the budget                         seed 0: 90 (still flipping at 98k)
    //   + that, 100k buffer, γ 0.99                                seed 0: 184 (solid 500 from 22k to 66k, then collapsed)
    //   + that, batch 128 / 64 grad steps / target every 64        seed 0: 500 but first solved at 66k (slow)
    //   + lr annealed, 100k buffer (keeps the early failures), Polyak τ 0.01 every gradient step
    //                                                              467 500 461 295 ← this preset: fewer and shorter
    //     dips than hard copies, but not yet the issue's bar (every seed ≥ 400).
    // Tried with the current code (after core/seeds.ts and the offpolicy restructuring), one change each:
    //   gradientSteps 64                     seed 3: 499 (evals still flip 500 ↔ ~130 up to the end: a lucky final)
    //   τ 0.005                              seeds 3 0 1 6 7: 500 491 221 500 500 (seed 1 fails the bar; evals
    //                                        flip between 500 and ~110 through training)
    // After greedy evaluation stopped drawing from the exploration stream (agents/dqn.ts), seeds 0–9, 100k, no
    // early stop: the old preset (batch 64, 128 gradient steps) 500 500 500 500 342 293 493 500 500 500 — seeds
    // 4 and 5 still flipping at the end. One change each, on the weak seeds (final evals):
    //   γ 0.99                               seeds 4 5 6 1: 500 500 500 500 (but seed 1 at 91 two evals before)
    //   [256, 256]                           seeds 1 4: 500 128
    //   batch 256                            seeds 4 5: 229 (never solved) 500
    //   lr 1e-3                              seeds 4 5 1 8: 500 258 404 500
    //   64 gradient steps                    seeds 0–9: 451 500 500 500 500 500 317 500 500 500 (first 475 at
    //                                        median 50k steps: slow)
    //   64 gradient steps, γ 0.99            seeds 6 0 5 1: 500 138 500 227 (0 and 1 never solved)
    //   64 gradient steps, batch 128         seeds 0–9: 500 500 500 500 500 500 500 411 500 500 (seed 7 never
    //                                        reached 475; median first 475 at 40k)
    //   the same with lr 3e-3                seeds 7 1 3 4: 475 500 443 500
    //   96 gradient steps, batch 128 ← this preset: seeds 0–9 500 500 500 500 500 500 500 473 500 500 (IQM 500;
    //     first 475 at 24k 42k 12k 22k 6k 14k 34k 2k 22k 38k, median 22k as before). Twice the batch halves the
    //     gradient noise at about the same cost per gradient step (tiny MLPs are bound by per-op overhead).
    //     But at 200k (`--steps 200000`, schedules stretched) it flipped again: seeds 0–5 ended 500 286 500 488
    //     112 500, evals jumping 500 ↔ ~120 in the last 20k steps with the lr under 10%: Adam's step size does
    //     not shrink with the gradient, so small noisy gradients keep moving the greedy policy. Tried at 200k on
    //     seeds 4 1 0 5: γ 0.99 500 370 500 500; γ 0.995 90 291 9 500; Adam ε 3e-3
    //     never solved seed 4; Adam ε 3e-4 (Rainbow's choice, 0.01 / batch 32) 500 500 500 500.
    //   adamEps 3e-4: 200k, seeds 0–9: all ten 500; 100k, seeds 0–9: 500 500 500 500 158 448 500
    //     500 500 500 (seed 4 flipping 110 ↔ 470 in its last 20k steps); first 475 at 24k 28k 24k 26k 30k 14k
    //     36k 22k 28k 30k (median 27k). Neither setting meets the bar at both budgets: 19 of these 20 runs end
    //     ≥ 400 against at most 14 of 16 without the larger ε. With ε 3e-4, at 100k, seeds 0–9: Adam ε 1e-3
    //     500 500 500 500 343 500 500 448 500 500; dueling 348 500 500 262 497 500 500 500 500 184; γ 0.99 (seeds
    //     4 5 1 0) 500 186 211 500; ε-greedy's final ε 0.01 297 214 385 500 500 500 418 500 500 500; τ 0.005
    //     500 500 500 479 193 500 500 479 500 500; maxGradNorm 1 500 500 464 500 500 500 500 205 500 500;
    //     γ 0.99 with 5-step returns 484 500 480 500 500 500 500 500 500 500 (steady late curves, median first
    //     475 at 20k) — but at 200k 323 500 286 472 500 500 182 500 500 500: not taken.
    //   γ 0.99, 5-step returns, Adam ε 1e-3 ← this preset: 100k, seeds 0–9: 500 500 500 500 500 500 500 500 488
    //     500 (IQM 500, worst 488.4; first 475 at 20k 18k 14k 4k 16k 22k 28k 20k 16k 16k, median 17k); 200k:
    //     500 500 500 500 500 500 244.8 500 500 500 (seed 6 collapsed and was recovering at the end). The mirror
    //     image of ε 3e-4 with γ 0.98 (200k all 500, 100k seed 4 at 158).
    // Why the 200k runs still fell over (update metrics of the failing seeds): once every episode lasts 500
    // steps, Q(s, ·) approaches 1/(1 − γ) = 100 for both actions and the action gap shrinks below the
    // estimation noise, so a small error flips the greedy action. Seed 6's mean Q crept from 92 to 96 and
    // then ran away past 200 as the policy fell apart. And once the 100k buffer wraps it holds only 500-step
    // episodes: the TD loss drops to ~0.001 and the network forgets what failing looks like (with the
    // remedy below, seed 4 collapsed 40k steps after the wrap). Two remedies, both taken:
    //   - advantage learning (Bellemare et al., 2016; `advantageLearning` in agents/dqn.ts): the target
    //     drops α·(max_b Q_target(s, b) − Q_target(s, a)), which leaves the greedy action's value alone and
    //     pushes the other action down, keeping a gap the noise cannot flip;
    //   - a buffer that does not wrap within 1M steps (46 bytes per CartPole transition, 46 MB at most;
    //     checkpoints hold only the filled part). Sampling is uniform over what is filled, so any capacity
    //     ≥ the budget gives the same run.
    //   α 0.9                       200k, seeds 6 8 9 3: 500 500 19 312 (seed 9 fell to a constant policy)
    //   α 0.5                       100k, seeds 0–9: all ten 500, but first 475 at a median 29k steps (slower);
    //                               200k: 500 500 500 500 114 (buffer wrap) 500 500 500 500 500; with a 200k
    //                               buffer all ten 500
    //   α 0.25, 1M buffer ← this preset: 100k, seeds 0–9: all ten 500, first 475 at 30k 20k 22k 16k 18k 18k
    //     32k 6k 6k 24k (median 19k); 200k: 500 500 500 480 500 500 500 500 500 500 (worst 480.1). Out of
    //     sample, seeds 10–19 at 100k: 500 500 286 500 500 500 500 500 500 500 (seed 12 declined in its last
    //     15k steps). `npm run bench`: median 3.8–4.1 s to solve over two runs (2.8 s before; the extra
    //     target pass on s costs ~15% of the training throughput, and the median solve moved from 17k to 19k
    //     steps).
    // What the late declines are: seed 12's evals end 500 500 187 500 475 500 441 455 379 286 (84k–100k), the
    // failed episodes 200–450 steps long and tightly clustered — the cart drifting off the track, not the pole
    // falling — with mean Q steady at ~95 and the loss falling. Evaluating a Polyak average of the online
    // network instead (`greedyTau`; the training trajectory is unchanged, so one run scores every variant),
    // final evals, seeds 12 | 100 (a held-out seed that ended 434 with the online network):
    //   online 286 | 434; target network (τ 0.01) 308 | 455; average τ 1e-3 389 | 457; τ 3e-4 451 | 286;
    //   τ = max(1e-4, 9/(10 + n)) (the last ~n/9 gradient steps) 449 | 305.
    // No window fixes both: the online network drifts for 10–25k steps, and an average of a drifting network
    // drifts too. Held-out seeds 100–119 (100k, `npm run verify -- --only dqn-heldout`), one run scoring both:
    //   online (this preset)  IQM 500, 17 at 500, 486.6, 434.5 (seed 100), 368.3 (seed 109)
    //   greedyTau 1e-4 (chosen on seeds 12 and 0 before these ran)  IQM 500, 16 at 500, 495.2, 489.6, 489.5,
    //     304.5 (seed 100); first eval ≥ 475 later on 14 of 20 seeds (median 23k against 21k: the average lags
    //     the online network while it learns).
    // One seed in twenty still ends below 400 either way; greedyTau is not taken (it is off by default).
    // More single changes, 100k, no early stop, final evals; first on the seeds known to end low (12 | 109 100):
    //   ε_end 0.01        21 | 498 500        τ 0.005      500 | 101 (stopped)
    //   γ 0.995 (seeds 0–7): seeds 0 and 4 end at 167 and 165; γ 0.998 (seeds 0–6): seeds 0 and 6 at 364, 392
    //   lr 1.5e-3         500 | 500; seeds 0–19: seed 5 never reached 475 (ends 106), seed 11 ends 253, and
    //                     the first 475 comes later (median 39k on seeds 0–7)
    //   batch 256, 48 gradient steps (the same samples per update), seeds 0–9: 500 472 500 500 500 500 500 500
    //                     497 486 (seed 1 never reached 475), first 475 at a median 41k
    //   α 0.4             500 | 500 500; seeds 0–19: nineteen at 500, seed 18 at 347, first 475 at a median
    //                     18k on seeds 0–9. Seed 18 is a different failure: its mean Q fell from 57 at 32k to
    //                     −2000 at 100k with the TD loss rising a hundredfold, the values of the actions it does
    //                     not take pushed down without bound (advantage learning widens gaps the targets do not
    //                     pin). At α 0.25 mean Q settles near 95 on every seed.
    //   α 0.3             500 | 500 500; seeds 0–19: nineteen at 500, seed 1 at 466 (first 475 at 48k)
    //   ε_end 0.1         500 | 500 500; seeds 0–19: all twenty at 500, and 7 of the 520 evals from 50k to 100k
    //                     below 400 (α 0.3: 23, α 0.4: 36). Chosen on that for fresh held-out seeds 300–319,
    //                     fixed before any of them ran: 19 end ≥ 400, seed 313 at 329 (evals 177–329 over its
    //                     last 20k steps), and 54 of their 520 late evals below 400. Twenty seeds do not rank
    //                     changes this close.
    //   Munchausen targets (α 0.9, τ 0.03, l0 −1) in place of advantage learning, each form on a held-out set
    //   fixed before it ran, then on 60 more seeds: the paper's soft value passes 400–419 (lowest 430.1) but
    //   diverges on seed 113 (mean Q 93 → 1468, final 27.9); with double DQN's online policy on s' it passes
    //   500–519 (lowest 444.7) but ends seed 12 at 209 and seed 407 at 330. This preset ends 400–419 all at 500
    //   and 2 of 60 seeds low: no measured gain, so not taken (docs/results.md has the table).
    // Each change that fixed the known low seeds moved a low final to another seed: about one in twenty.
    'CartPole-v1': {
      totalSteps: 100_000,
      numEnvs: 4,
      evalEvery: 2_000,
      evalEpisodes: 20,
      checkpointEvery: 20_000,
      hyperparams: { trainFreq: 64, gradientSteps: 96, batchSize: 128, targetUpdateInterval: 1, tau: 0.01, lr: 0.0023, adamEps: 1e-3, annealLr: true, bufferSize: 1_000_000, epsDecaySteps: 8_000, epsEnd: 0.04, nStep: 5, gamma: 0.99, advantageLearning: 0.25 },
    },
    'GridWorld-4x4': {
      totalSteps: 20_000,
      numEnvs: 4,
      evalEvery: 1_000,
      evalEpisodes: 20,
      checkpointEvery: 10_000,
      hyperparams: { hidden: [64], lr: 0.001, gamma: 0.99, learningStarts: 500, epsDecaySteps: 5_000, targetUpdateInterval: 100, bufferSize: 20_000 },
    },
    // Trains the full budget: the threshold (mean over random starts) is met before every start state is.
    FourRooms: {
      totalSteps: 60_000,
      numEnvs: 4,
      stopWhenSolved: false,
      evalEvery: 2_000,
      evalEpisodes: 20,
      checkpointEvery: 20_000,
      hyperparams: { hidden: [128], lr: 0.001, gamma: 0.97, learningStarts: 1_000, epsDecaySteps: 20_000, targetUpdateInterval: 100, bufferSize: 50_000, nStep: 3 },
    },
    'LaneKeeper-v0': {
      totalSteps: 40_000,
      numEnvs: 8,
      evalEvery: 10_000,
      evalEpisodes: 10,
      stopWhenSolved: false,
      checkpointEvery: 25_000,
      hyperparams: { hidden: [128, 128], trainFreq: 32, gradientSteps: 128, targetUpdateInterval: 128, lr: 0.001, epsDecaySteps: 20_000, epsEnd: 0.02, nStep: 3, gamma: 0.98, bufferSize: 100_000, learningStarts: 2_000 },
    },
  },
  // Policy-gradient presets; CartPole tuned over 10–20 seeds, the others checked on 1–5 seeds.
  // On CartPole the critic's squared error (returns up to ~100) dominates the joint gradient, so the usual
  // global norm clip of 0.5 starves the policy; maxGradNorm 5 (and no value clipping for PPO) made every
  // seed solve.
  ppo: {
    // Staying solved: trained on past the solve point, the old preset (lr annealed, clip fixed,
    // entCoef 0.01, 4 epochs) fell apart: 100k steps, no early stop, seeds 0–9, final greedy evals 248 204 500
    // 254 468 368 483 471 500 495 (IQM 423). Tried on the same 10 seeds (final evals; before the seeding change
    // in core/seeds.ts):
    //   + clip range annealed to 0 with the lr                         482 500 474 500 495 468 466 433 387 494 (IQM 480)
    //   + that, entCoef 0                                              463 492 499 497 470 440 495 459 475 494 (IQM 482)
    //   + annealed clip, 10 epochs                                     500 500 295 497 500 500 489 500 473 500 (one late collapse)
    //   + annealed clip, entCoef 0, 10 epochs, KL early stop at 0.01   500 500 500 500 500 497 500 500 500 500 (IQM 500)
    //   (γ 0.98 with λ 0.8, as RL-Zoo, and normalizeObs both plateaued near 130 here: the cart drifts off the track.)
    // Steps to solve with the early stop (evals every 5k): 25k 10k 25k 65k 20k 20k 10k 15k 10k 10k.
    // After the seeding change (core/seeds.ts) the same preset gave, seeds 0–9: 437 476 495 499 417 403 500 494
    // 378 500 (IQM 470): the 10/10 above was partly luck, and the low seeds were still improving when the
    // schedules ran out (under-trained, not collapsed). A looser KL stop, 0.02 ← this preset, seeds 0–9: 496 500
    // 500 496 341 500 448 500 473 500 (IQM 494; seed 4 still short of the issue's bar of every seed ≥ 400).
    // Its steps to solve (early stop, evals every 5k): 45k 15k 40k 15k 35k 30k 10k 30k 20k 45k — slower to
    // first reach 475 than the old preset (median 12.5k); the bench's time to solve will show the cost.
    // Seed 4 alone: targetKl 0.015 → 341 (no change); numSteps 256 (batch 2048, half as many updates) → 500.
    // numSteps 256 ← this preset, seeds 0–9: 487 496 477 482 500 489 478 422 500 500 (IQM 488.6 [471.6, 496.9],
    // worst 422): every seed ≥ 400 and the low bound ≥ 450 now hold, the IQM sits 1.4 under 490 — the curves
    // plateau near 480 (a few of 20 greedy episodes end early) rather than collapse. numSteps 256 with lr 1.5e-3
    // reached 500 on seeds 7, 2, 6, 0, 5 but 429 on seed 1 and 367 on seed 8 (stopped there): not taken.
    // The greedy episodes that end early are the cart drifting off the track hundreds of steps in: a cost
    // γ 0.99 discounts to almost nothing (0.99^300 ≈ 0.05). A longer horizon, same seeds (final evals):
    //   activation relu                                         471 500 483 342 448 480 211 457 488 377 (IQM 453)
    //   γ 0.995                                                 494 500 358 500 500 483 500 399 400 488 (IQM 478)
    //   γ 0.999                                                 500 493 499 500 500 494 500 500 496 500 (IQM 499.1,
    //     worst 492.9); first 475 at 45k 50k 25k 25k 35k 50k 20k 10k 65k 30k (median 32.5k, as before); at 200k
    //     (`--steps 200000`): 500 498 500 500 496 500 383 500 500 438 (seed 6 converged at ~400 with the cart
    //     drifting).
    // With tanh as 2σ(2x) − 1 (agents/mlp.ts; the same function, rounded differently, so new trajectories),
    // γ 0.999, seeds 0–9:
    //   λ 0.95        100k: 489 479 476 499 500 489 500 362 499 483 (seed 7 short again)
    //   λ 0.99        100k: 500 493 496 500 500 500 500 500 500 500; first 475 at median 37.5k
    //   λ 0.98 ← this preset: 100k 500 474 487 500 500 485 500 500 500 500 (IQM 497.8, worst 473.6); 200k 500
    //     500 500 500 500 500 500 500 402 500 (worst 402.5); first 475 at 35k 35k 35k 25k 15k 25k 15k 30k 15k 50k
    //     (median 27.5k). A longer GAE horizon lets the advantages see the drift the γ 0.999 critic values.
    //     `npm run bench`: median 3.9 s to solve (Stable-Baselines3 + RL-Zoo: 10.7 s, so 2.7×).
    // Time to solve is mostly gradient steps (10 epochs × 2 minibatches of 1024 rows per 2048 env steps; the KL
    // stop never fires). With the gradient computed without the tape (agents/ppo.ts), one step on 1024 rows
    // costs 2.9 ms of CPU with [32, 32] hidden layers against 6.7–7.5 ms with [64, 64]. Seeds 0–9, 100k:
    //   [32, 32], evals every 5k                        500 500 500 500 496 500 500 500 465 489 (IQM 499.4); first
    //                                                   475 at median 27.5k steps, as before, but ~2× less CPU
    //   that, evals every 2.5k                          first 475 at 15k 12.5k 25k 22.5k 15k 15k 20k 32.5k …: the
    //                                                   greedy policy often reaches 475 a few updates before it
    //                                                   stays there, and an eval costs little next to an update
    //   + 4 minibatches of 512                          first 475 at 32.5k 25k (slower; stopped)
    //   + lr 2e-3                                       seed 4 ended at 409 (stopped)
    //   [32, 32], one eval after every update (evalEvery 2048) ← this preset: 100k 500 500 500 477 494 500 500 499
    //     500 457 (IQM 498.8, worst 456.6); first 475 at 14k 12k 25k 20k 14k 14k 18k 31k 43k 35k (median 19.5k),
    //     median 1.38 CPU-s to solve (≥ 7× SB3's 10.7 s). Out of sample, seeds 100–109: 500 500 500 500 500 500
    //     474 499 459 500 (IQM 499.8), median 22.5k steps and 1.36 CPU-s to solve.
    'CartPole-v1': {
      totalSteps: 100_000,
      numEnvs: 8,
      evalEvery: 2_048,
      evalEpisodes: 20,
      hyperparams: { hidden: [32, 32], lr: 1e-3, annealLr: true, annealClip: true, numSteps: 256, numMinibatches: 2, updateEpochs: 10, targetKl: 0.02, entCoef: 0, clipValueLoss: false, maxGradNorm: 5, gamma: 0.999, gaeLambda: 0.98 },
    },
    'LaneKeeper-v0': { totalSteps: 100_000, numEnvs: 8, evalEvery: 10_000, evalEpisodes: 10, hyperparams: { lr: 1e-3, numSteps: 256, numMinibatches: 4, updateEpochs: 4, entCoef: 0.01 } },
    'LaneKeeperContinuous-v0': { totalSteps: 100_000, numEnvs: 8, evalEvery: 10_000, evalEpisodes: 10, hyperparams: { lr: 1e-3, numSteps: 256, numMinibatches: 4, updateEpochs: 4, entCoef: 0 } },
    'GridWorld-4x4': { totalSteps: 20_000, numEnvs: 8, evalEvery: 1_000, evalEpisodes: 20, hyperparams: { lr: 1e-3, numSteps: 32, numMinibatches: 2, updateEpochs: 4 } },
    FourRooms: { totalSteps: 100_000, numEnvs: 8, evalEvery: 5_000, evalEpisodes: 20, hyperparams: { lr: 1e-3, numSteps: 128, numMinibatches: 4, updateEpochs: 4 } },
  },
  a2c: {
    // Staying solved (not fully met): 100k steps (`--steps 100000`), no early stop, seeds 0–9, the first
    // preset (lr 7e-4, numSteps 5, clip 0.5, no annealing) ended 491 500 447 499 500 500 499 500 214 224 (IQM
    // 489; two seeds drifted late). Tried on the same seeds (the first four or five; all worse). All before
    // the seeding change in core/seeds.ts unless noted:
    //   lr annealed to 0                                        252 202 122 493     (freezes whatever policy it has)
    //   annealed, numSteps 16, advantages normalised            465 400 477 491
    //   the same with lr 2e-3                                   150 228 500 456
    //   numSteps 16, advantages normalised, no annealing        193 118 478 212
    //   γ 0.995 (after the seeding change)                      500 500 88 495 408
    // The low finals are a greedy policy that balances the pole but lets the cart drift off the track.
    // Tried after the seeding change (100k, no early stop; seeds in the order run, final evals; each row's
    // greedy evals keep flipping between ~500 and ~150–250 through training, so 4-seed screens are noisy):
    //   normalizeObs                                             seeds 8 9 0 2: 500 500 500 266
    //   normalizeObs, vfCoef 0.25                                seeds 8 9 0 2: 500 154 500 500
    //   normalizeObs, lr annealed                                seeds 8 9 0 2 4: 500 203 182 500 500
    //   normalizeObs, lr 1.5e-3 annealed                         seeds 8 9 0 2 4: 150 500 197 500 500
    //   normalizeObs, numSteps 16, advantages normalised, annealed  seeds 8 9 0 2: 113 307 121 130 (a slow
    //     monotone decline even as the lr → 0: the running obs statistics keep moving the inputs)
    //   numSteps 16, advantages normalised, lr 1e-3 annealed     seeds 8 9 0 2: 475 398 181 344
    //   entCoef 0.01                                             seeds 8 9 0 2: 500 207 500 248
    //   RMSprop-like Adam (adamBeta1 0, adamBeta2 0.99; SB3's A2C optimiser)  seeds 8 9 0 2: 500 368 500 185
    //   the same with lr 5e-4                                    seeds 8 9 0 2: 101 94 152 500
    //   maxGradNorm 5                                            seeds 8 9 0: 332 500 133
    //   maxGradNorm 5, lr annealed                               seeds 8 9 0: 106 499 365
    //   lr 3.5e-4                                                seeds 8 9 0 2 1 3 4 5 6 7: 500 402 494 472 241 209
    //                                                            500 240 284 155 (the first four were luck)
    // Seeds 0–9 each, after greedy evaluation stopped drawing from DQN's exploration stream (A2C's own
    // trajectories are unchanged by that), 100k, no early stop:
    //   the first preset                             500 298 500 500 362 255 500 500 500 305 (IQM 444.5)
    //   lr 2e-3 annealed                             500 356 500 500 494 500 173 492 461 500 (IQM 491; seed 6
    //                                                collapsed between 90k and 95k with the lr under 10%)
    //   the same, 16 envs                            500 500 184 469 500 496 300 500 498 500
    //   the same, numSteps 8                         419 151 500 164 472 500 181 145 289 285
    //   lr 3e-3 annealed                             498 500 230 140 500 500 500 118 153 500
    //   γ 0.995, lr 1.5e-3 annealed                  443 111 378 111 406 494 493 211 130 500
    //   γ 0.999 (fixed PPO's drift, below)           500 500 500 97 370 237 121 500 466 312
    //   γ 0.999, lr 2e-3 annealed                    500 108 494 500 500 358 159 500 200 500
    //   adamEps 1e-3 / 1e-2 (damped small steps)     IQM 374.7 / 313.1
    // The global gradient-norm clip of 0.5 (applied to actor and critic together, so the critic's squared
    // error takes most of it) was the binding constraint. With lr 2e-3 annealed, seeds 0–9 (final evals):
    //   maxGradNorm 1                  100k: 500 500 500 500 500 476 500 173 500 500 (IQM 500 [441.5, 500]);
    //                                  200k: 500 500 171 500 500 500 500 500 500 500 (IQM 500 [445.1, 500])
    //   maxGradNorm 2                  100k: all ten 500 — but seeds 10–19 at 100k: 500 500 206 500 236 500 237
    //                                  500 500 499, and 200k: 248 500 118 500 498 237 491 500 197 500
    //   maxGradNorm 3                  100k: 500 500 500 149 500 500 500 500 500 177
    //   maxGradNorm 0.75               200k: 173 500 500 500 500 500 500 158 127 500
    //   maxGradNorm 1, vfCoef 0.25     200k: 500 500 500 500 500 500 108 500 500 500
    //   maxGradNorm 1, numSteps 8      200k: all ten 500, and seeds 10–19 500 … 496 … (all ≥ 495); but 100k: 500
    //                                  500 251 155 187 500 500 500 500 500
    //   the same with lr 3e-3          100k: 125 500 500 145 500 500 474 500 500 500
    //   maxGradNorm 1, numSteps 6      100k: 500 500 317 498 440 500 500 237 488 500
    //   maxGradNorm 1, hidden [128,128] (with clip 0.5)  100k: 500 132 199 500 500 500 500 500 500 409
    //   γ 0.999, λ 0.98, numSteps 16, clip 2 (PPO's drift fix)  100k: IQM 458.6, worst 131
    //   With the clip of 1, 100k: 16 envs IQM 339 (numSteps 8: 366), observation normalisation 389, hidden
    //   [32, 32] 403; no clip at all 454; rewards scaled by 0.01 (values on the critic's initial scale; a trial
    //   option, not kept) 228, and the same on the first preset 322; the lr annealed quadratically (a trial
    //   option, not kept) 385, at 200k one seed at 163; Adam ε 1e-3 100k seed 0 at 241, 200k seed 9 at 45;
    //   Adam ε 1e-4 100k seed 7 at 254.
    // The seeds that fell short solved, held 500 for tens of thousands of steps, then drifted: once every
    // episode reaches 500 the advantages are mostly noise, and with a joint clip every spike of the critic's
    // error also shrinks the policy's step relative to Adam's running scale, so its updates lurch.
    //   clip 0.5 per network (`clipPerNetwork`: actor and critic each clipped by their own norm) ← this preset:
    //     100k: 500 500 500 500 500 500 500 499 500 500; 200k: all ten 500 (every seed ≥ 400). Out of
    //     sample, seeds 10–19, 100k: 500 500 500 500 500 500 500 500 255 500; 200k: all ≥ 466. The price:
    //     the median solve takes 37.5k steps, 1.5 s (`npm run bench`; 20k and 0.8 s for the first preset),
    //     the worst seed 2.0 s (4.2 s).
    //   clip 1 per network             100k: 500 500 500 500 500 500 198 500 500 500
    // The loss gradient is now formed in JS (float64) and backpropagated by hand, as PPO's, instead of by
    // tfjs's tape in float32: the same loss, rounded differently, so new trajectories. This preset, seeds
    // 0–9: 100k 500 500 500 460 500 500 500 500 500 500 (IQM 500.0 [493.4, 500.0]); stop when solved, first
    // 475 at 40k 45k 35k 15k 30k 35k 10k 50k 45k 25k.
    'CartPole-v1': { totalSteps: 200_000, numEnvs: 8, evalEvery: 5_000, evalEpisodes: 20, hyperparams: { lr: 2e-3, annealLr: true, maxGradNorm: 0.5, clipPerNetwork: true, numSteps: 5 } },
    'LaneKeeper-v0': { totalSteps: 200_000, numEnvs: 8, evalEvery: 20_000, evalEpisodes: 10, hyperparams: { lr: 1e-3, numSteps: 16, entCoef: 0.01 } },
    'LaneKeeperContinuous-v0': { totalSteps: 200_000, numEnvs: 8, evalEvery: 20_000, evalEpisodes: 10, hyperparams: { lr: 1e-3, numSteps: 16 } },
    'GridWorld-4x4': { totalSteps: 20_000, numEnvs: 8, evalEvery: 1_000, evalEpisodes: 20, hyperparams: { lr: 1e-3, numSteps: 8, entCoef: 0.01 } },
    FourRooms: { totalSteps: 150_000, numEnvs: 8, evalEvery: 10_000, evalEpisodes: 20, hyperparams: { lr: 1e-3, numSteps: 16, entCoef: 0.01 } },
  },
  reinforce: {
    'CartPole-v1': { totalSteps: 300_000, numEnvs: 8, evalEvery: 10_000, evalEpisodes: 20, hyperparams: { lr: 3e-3, numSteps: 128, maxGradNorm: 5 } },
    'LaneKeeper-v0': { totalSteps: 300_000, numEnvs: 8, evalEvery: 20_000, evalEpisodes: 10, hyperparams: { lr: 1e-3, numSteps: 128, maxGradNorm: 5 } },
    'LaneKeeperContinuous-v0': { totalSteps: 200_000, numEnvs: 8, evalEvery: 20_000, evalEpisodes: 10, hyperparams: { lr: 1e-3, numSteps: 128, maxGradNorm: 5 } },
    'GridWorld-4x4': { totalSteps: 20_000, numEnvs: 8, evalEvery: 1_000, evalEpisodes: 20, hyperparams: { lr: 3e-3, numSteps: 32, maxGradNorm: 5 } },
    FourRooms: { totalSteps: 200_000, numEnvs: 8, evalEvery: 10_000, evalEpisodes: 20, hyperparams: { lr: 3e-3, numSteps: 128, maxGradNorm: 5, entCoef: 0.01 } },
  },
  // Off-policy continuous control. Pendulum-v1 has no registered threshold: −200 over a
  // 10-episode greedy eval, evaluated every 1k steps, as the issue states. Networks are [64, 64] (RL-Zoo uses
  // [256, 256]; here a gradient step costs per op, and 64 units solve Pendulum), one env, one gradient step
  // per env step. τ = 0.02 (RL-Zoo default 0.005) and learningStarts 500 shortened the time to solve.
  // Evidence (wasm, machine load 13–26 on 2 cores, so wall-clock times are several times a quiet machine's):
  //   τ 0.005: seeds 0, 1 solved at 4k, 4k steps (32 s, 35 s loaded);
  //   τ 0.02: seeds 0–4 solved at 3k, 3k, 4k, 3k, 2k steps (18–43 s loaded) — with the seed derivation
  //   before core/seeds.ts; with streamSeed (`npm run verify -- --only sac-pendulum`): 3k steps on all of
  //   seeds 0–4 (17–57 s loaded, median 25 s: the ≤ 10 s target needs a quiet machine to check).
  sac: {
    'Pendulum-v1': {
      totalSteps: 20_000,
      numEnvs: 1,
      evalEvery: 1_000,
      evalEpisodes: 10,
      checkpointEvery: 10_000,
      rewardThreshold: -200,
      hyperparams: { learningStarts: 500, batchSize: 128, tau: 0.02 },
    },
    // Trains the full budget (the env's threshold 900 is met at the first eval) so the held-out roads in
    // verify are driven by a settled policy. Seed 0, 4 envs, 30k steps: evals every 5k steps 939, 945, 949,
    // 966, 964, 965 (PPO's preset needs 100k steps). `npm run verify -- --only sac-lanekeeper` (current seed
    // derivation): returns 956–961 on all 10 held-out roads (236 s under load ~30).
    'LaneKeeperContinuous-v0': {
      totalSteps: 30_000,
      numEnvs: 4,
      evalEvery: 5_000,
      evalEpisodes: 10,
      stopWhenSolved: false,
      checkpointEvery: 10_000,
      hyperparams: { learningStarts: 1_000, batchSize: 128, gamma: 0.98, tau: 0.02 },
    },
  },
  td3: {
    // As SAC's Pendulum preset, with RL-Zoo's TD3 γ = 0.98 (its learningStarts 10k and [400, 300] nets are
    // far slower here). Evidence (machine load 15–30 on 2 cores): seeds 0–4 solved at 4k, 9k, 4k, 3k, 4k
    // steps (62–216 s loaded) with the seed derivation before core/seeds.ts; with streamSeed (`npm run
    // verify -- --only td3-pendulum`): 5k, 5k, 5k, 2k, 2k steps (32–120 s loaded, median 89 s).
    'Pendulum-v1': {
      totalSteps: 20_000,
      numEnvs: 1,
      evalEvery: 1_000,
      evalEpisodes: 10,
      checkpointEvery: 10_000,
      rewardThreshold: -200,
      hyperparams: { learningStarts: 500, batchSize: 128, tau: 0.02, gamma: 0.98 },
    },
    // Exploration is the crux: the goal pays +100 only when reached, and every push costs 0.1·a², so
    // independent Gaussian noise dithers in place and the policy learns to do nothing. Temporally
    // correlated noise — an Ornstein–Uhlenbeck process with σ = 0.5 (RL-Zoo's TD3 choice for this env) —
    // keeps pushing one way long enough to rock the car up the hill. Evidence: seeds 0, 1 solved (≥ 90) at
    // 8k, 16k steps with the seed derivation before core/seeds.ts; with streamSeed (`npm run verify -- --only
    // td3-mountaincar`): seeds 0–4 solved at 12k, 40k, 44k, 28k, 28k steps (55–921 s under load 17–40).
    'MountainCarContinuous-v0': {
      totalSteps: 50_000,
      numEnvs: 1,
      evalEvery: 4_000,
      evalEpisodes: 10,
      checkpointEvery: 25_000,
      hyperparams: { noiseType: 'ou', explorationNoise: 0.5, learningStarts: 1_000, batchSize: 128, tau: 0.02 },
    },
  },
};

// Gymnasium's classic-control envs with the existing agents (`npm run verify -- --only classic`).
// Kept in a block of its own and merged into PRESETS below. Evidence: seeds 0–4, evals of 10 greedy episodes
// every 5k env steps, early stop at the env's threshold; wasm backend on a loaded 2-core machine (times noisy).
const CLASSIC_CONTROL_PRESETS: PresetTable = {
  dqn: {
    // RL-Zoo's Acrobot DQN (100k steps, lr 6.3e-4, batch 128, 50k buffer, γ 0.99, target every 250 env steps,
    // one gradient step per env step, ε → 0.1 over 12k steps, [256, 256]) runs at ~55 env steps/s here: ~30 min
    // a seed. Half the gradient steps (2 per 4-env vector step) on a [128, 128] network, target every 250
    // gradient steps (500 env steps), ran ~360–570/s: solved 5/5, seeds 0–4 at 50k 50k 55k 35k 15k env steps
    // (final evals −84.7 −82.2 −87.3 −91.6 −99.4; 10–170 s each; `npm run verify -- --only dqn-acrobot`
    // reproduced them exactly after DQN moved onto the off-policy base; after greedy evaluation stopped drawing
    // from the exploration stream: 45k 55k 70k 55k 35k). Between solves the greedy eval can sit at
    // −500 ± 0 while training episodes are near −110 (seed 2: −500 at 50k, −87 at 55k).
    'Acrobot-v1': {
      totalSteps: 100_000,
      numEnvs: 4,
      evalEvery: 5_000,
      evalEpisodes: 10,
      checkpointEvery: 25_000,
      hyperparams: { hidden: [128, 128], lr: 6.3e-4, batchSize: 128, bufferSize: 50_000, learningStarts: 1_000, gamma: 0.99, targetUpdateInterval: 250, trainFreq: 1, gradientSteps: 2, epsDecaySteps: 12_000, epsEnd: 0.1 },
    },
    // MountainCar: a sparse-reward exploration problem — the flag pays nothing until reached, and ε-greedy's
    // one-step dithering almost never rocks the car high enough. RL-Zoo's DQN (120k steps, lr 4e-3, batch 128,
    // 10k buffer, learning starts 1000, γ 0.98, target every 600 env steps, ε → 0.07 over 24k steps) on [128, 128]
    // solved 1/5 seeds here (seeds 0 and 4 never reached the flag in 120k steps, not even while exploring;
    // without double DQN, with 3-step returns, and with observations scaled to [−1, 1] (scaleObs): no change).
    // What fixed it is temporally extended exploration — εz-greedy (Dabney et al., 2021): an exploratory action
    // is held for n ~ zeta(μ) steps (epsRepeatMu), so random pushes last long enough to build a swing. Simulated
    // random play (ε = 1, 200-step episodes) reaches the flag in 0% of episodes with one-step dithering, 1.8%
    // with μ = 2 and 2.8% with μ = 1.5. Tried on seed 0 (120k steps; training episodes that reached the flag):
    //   μ 2                                            1 of 548 (−200 greedy throughout)
    //   μ 1.2, scaleObs                                1 of 600
    //   μ 1.5, ε decaying over 60k steps               33 of 607, greedy −124 at 120k (not yet solved)
    //   that, 100k buffer (the rare successes stay in replay), 3-step returns ← this preset, 200k budget:
    //     seeds 0–4 solved at 50k 55k 60k 185k 190k env steps (−108.7 −108.4 −105.3 −108.0 −102.9); seed 3
    //     trained on to 300k stayed solved (−103 to −108 over its last 7 evals). The slow seeds find the flag
    //     late (seed 4: first success at 80k), so the budget is 300k: the schedules do not depend on it (no lr
    //     anneal), so it only adds margin, and the early stop ends runs at the solve.
    // (ε to 0.02 instead of 0.07 solved seed 3 at 150k instead of 185k: not taken, one seed.)
    'MountainCar-v0': {
      totalSteps: 300_000,
      numEnvs: 4,
      evalEvery: 5_000,
      evalEpisodes: 10,
      checkpointEvery: 25_000,
      hyperparams: { hidden: [128, 128], lr: 4e-3, batchSize: 128, bufferSize: 100_000, learningStarts: 1_000, gamma: 0.98, targetUpdateInterval: 300, trainFreq: 4, gradientSteps: 8, epsDecaySteps: 60_000, epsEnd: 0.07, epsRepeatMu: 1.5, nStep: 3 },
    },
  },
  ppo: {
    // Acrobot: the default preset (4 envs, lr 2.5e-4 annealed, entCoef 0.01) solved seeds 0, 1, 4 (10k, 30k, 45k)
    // but its greedy policy stayed at −334 and −500 on seeds 2 and 3 (100k): some or all greedy episodes never
    // reach the line (−500 ± 0), while the sampled policy does. Tried (8 envs unless noted):
    //   default hyperparameters                    seed 2 solved at 15k, seed 3 −500 at 100k
    //   normalizeObs                               seeds 2, 3: −430, −145 at 100k
    //   RL-Zoo's (16 envs × 256 steps, λ 0.94, entCoef 0, normalizeObs)   seed 0: −148 at 135k (slow)
    //   lr 1e-3, 100k                              solved 1, 2, 3 (15k, 10k, 70k); seeds 0, 4 at −210, −478
    //   lr 1e-3, entCoef 0, 100k                   seed 0 solved at 40k, seed 3 −500
    //   lr 1e-3, 200k ← this preset                solved 5/5: 15k 10k 10k 65k 15k (1–8 s each); with tanh as
    //                                              2σ(2x) − 1 (new trajectories): 15k 10k 10k 130k 15k
    // The longer budget matters through the lr anneal (slower decay), and success is seed-sensitive: treat the
    // 5/5 as what these seeds show, not a margin.
    'Acrobot-v1': { totalSteps: 200_000, numEnvs: 8, evalEvery: 5_000, evalEpisodes: 10, hyperparams: { lr: 1e-3 } },
    // MountainCar (reported, not checked: the issue expected PPO to struggle without exploration help). RL-Zoo's
    // values (16 envs × 16 steps, normalizeObs, λ 0.98, γ 0.99, 4 epochs, entCoef 0, lr 3e-4 constant, no value
    // clipping, 1M-step budget), evals every 20k, seeds 0–4: solved 5/5 at 120k 380k 500k 840k 200k env steps
    // (final evals −105.3 −109.8 −102.8 −109.4 −108.3; 34–150 s each): within the budget, but barely past −110.
    // With tanh as 2σ(2x) − 1: 200k 440k 380k 760k 300k (−106.6 −109.7 −108.2 −109.7 −105.6).
    'MountainCar-v0': {
      totalSteps: 1_000_000,
      numEnvs: 16,
      evalEvery: 20_000,
      evalEpisodes: 10,
      hyperparams: { normalizeObs: true, numSteps: 16, gaeLambda: 0.98, gamma: 0.99, updateEpochs: 4, entCoef: 0, lr: 3e-4, annealLr: false, clipValueLoss: false },
    },
  },
};
for (const [agent, envs] of Object.entries(CLASSIC_CONTROL_PRESETS)) PRESETS[agent] = { ...PRESETS[agent], ...envs };

// MinAtar from pixels with the conv torso (`npm run verify -- --only minatar`, 3 seeds each): the published
// settings for these games, with MinAtar's own network (one 16×3×3 conv, ReLU, a 128-unit layer). Each is
// keyed to one env id; the other MinAtar games and action sets get the agents' defaults for new envs.
// Greedy evals every 100k steps, checkpoints every 200k, the full budget trained (no threshold to stop at).
const MINATAR_PRESETS: PresetTable = {
  ppo: {
    // gymnax-blines' PPO configs (agents/Freeway-MinAtar/ppo.yaml and Breakout-MinAtar/ppo.yaml hold the same
    // values: 64 envs × 128 steps, 8 minibatches, 4 epochs, lr 5e-4 constant, γ 0.999, λ 0.95, clip 0.2,
    // entropy 0.01, value 0.5, grad norm 0.5) on the minimal action set, as gymnax's games use. What differs:
    // MinAtar's network instead of their 2×256 MLP, no lr warm-up (theirs: the first 5% of updates), and 2M
    // env steps instead of their 10M (the issue's budget: greedy mean ≥ 40 on Freeway); ~1,400 CPU-s per seed
    // on wasm. Seed 0: final greedy 40.4, best 46.0 at 1.1M (5 episodes per eval; greedy episodes are bimodal,
    // a policy caught in the cars' cycle stops scoring).
    'MinAtar/Freeway-v1': {
      totalSteps: 2_000_000,
      numEnvs: 64,
      evalEvery: 100_000,
      evalEpisodes: 5,
      stopWhenSolved: false,
      checkpointEvery: 200_000,
      hyperparams: { hidden: [128], activation: 'relu', lr: 5e-4, annealLr: false, gamma: 0.999, numSteps: 128, numMinibatches: 8, updateEpochs: 4, entCoef: 0.01 },
    },
    // The same settings as Freeway but three times the entropy bonus (0.03); budget 2M env steps (the issue's:
    // greedy mean ≥ 10), 10 episodes per eval. With 0.01 the policy's entropy fell from 0.55 to ~0.35 nats within
    // 200k steps and seed 2 settled on clearing ~7 bricks then missing (6.2–6.9 from 400k to 2M; seeds 0–2 ended
    // at 8.9, 12.9, 6.7). With 0.03 the same seed left that plateau at 600k (10.4, then 13.4 at 700k).
    'MinAtar/Breakout-v1': {
      totalSteps: 2_000_000,
      numEnvs: 64,
      evalEvery: 100_000,
      evalEpisodes: 10,
      stopWhenSolved: false,
      checkpointEvery: 200_000,
      hyperparams: { hidden: [128], activation: 'relu', lr: 5e-4, annealLr: false, gamma: 0.999, numSteps: 128, numMinibatches: 8, updateEpochs: 4, entCoef: 0.03 },
    },
  },
  dqn: {
    // MinAtar's examples/dqn.py (batch 32, 100k replay, learning from 5000 steps, target copied every 1000,
    // ε 1 → 0.1 over 100k, γ 0.99, Huber loss) on the full action set, as MinAtar's published curves. What
    // differs: Adam (lr 1e-4, ε 1.5e-4) instead of its centred RMSProp (lr 2.5e-4), double DQN, pixels rescaled
    // from {0, 1} to {−1, 1} (scaleObs, the default for a bounded space), and 4 envs with one gradient
    // step per vector step — one per 4 env steps rather than one per frame, a quarter of dqn.py's updates,
    // which is what fits 2 cores. Budget 1M env steps (the issue's: greedy mean ≥ 8).
    'MinAtar/Breakout-v0': {
      totalSteps: 1_000_000,
      numEnvs: 4,
      evalEvery: 100_000,
      evalEpisodes: 10,
      stopWhenSolved: false,
      checkpointEvery: 200_000,
      hyperparams: { hidden: [128], activation: 'relu', lr: 1e-4, adamEps: 1.5e-4, gamma: 0.99, bufferSize: 100_000, batchSize: 32, learningStarts: 5_000, trainFreq: 1, gradientSteps: 1, targetUpdateInterval: 1_000, epsStart: 1, epsEnd: 0.1, epsDecaySteps: 100_000, loss: 'huber', doubleDqn: true, scaleObs: true },
    },
  },
};
for (const [agent, envs] of Object.entries(MINATAR_PRESETS)) PRESETS[agent] = { ...PRESETS[agent], ...envs };

/**
 * Each agent's hyperparameters for an env without a tuned preset, on top of its schema defaults: what works
 * on ordinary small tasks, after Stable-Baselines3 / RL-Zoo's defaults. PPO takes SB3's rollout (2048
 * samples per update: 512 steps × 4 envs, minibatches of 64, 10 epochs); A2C (5-step rollouts, lr 7e-4) and
 * the off-policy agents' schema defaults already follow them. Observation handling is added per env by
 * {@link observationDefaults}.
 */
export const GENERIC_HYPERPARAMS: Record<string, Record<string, unknown>> = {
  ppo: { numSteps: 512, numMinibatches: 32, updateEpochs: 10 },
};

/** Agents that normalise observations by running statistics (stored in their checkpoints). */
const NORMALIZING_AGENTS = ['ppo', 'a2c', 'reinforce'];
/** Agents that can rescale observations from the observation space's finite bounds. */
const SCALING_AGENTS = ['dqn', 'sac', 'td3'];

/**
 * Observation handling that is safe for this env: running mean/std normalisation for the policy-gradient
 * agents when observations are a vector (not on images: a pixel that is almost always 0 would be blown up by
 * its tiny variance); rescaling to [-1, 1] for the off-policy agents when every bound is finite (an unbounded
 * Box would be squashed to nothing).
 */
function observationDefaults(agent: string, envId: string): Record<string, unknown> {
  const env = make(envId);
  const space = env.observationSpace;
  env.close();
  if (!(space instanceof Box)) return {};
  if (NORMALIZING_AGENTS.includes(agent)) return space.shape.length === 1 ? { normalizeObs: true } : {};
  if (SCALING_AGENTS.includes(agent) && space.isBounded()) return { scaleObs: true };
  return {};
}

/**
 * The preset for (agent, env): the tuned one, or for pairs without one the base preset with the agent's
 * defaults for new envs (`tuned: false`).
 */
export function presetFor(agent: string, env: string): RunPreset & { tuned: boolean } {
  const id = resolveEnvId(env);
  const tuned = PRESETS[agent]?.[id];
  if (tuned) return { ...BASE_PRESET, ...tuned, tuned: true };
  return agentDefaultsPreset(agent, id);
}

/** What an env without a tuned preset gets: the base preset with the agent's defaults for new envs. */
export function agentDefaultsPreset(agent: string, env: string): RunPreset & { tuned: false } {
  return { ...BASE_PRESET, hyperparams: genericHyperparams(agent, resolveEnvId(env)), tuned: false };
}

/**
 * Where a group's settings start: the env's tuned preset (`preset`; for an env without one, the agent's
 * defaults), or the agent's defaults even when a tuned preset exists (`defaults`).
 */
export const PRESET_BASES = ['preset', 'defaults'] as const;
export type PresetBase = (typeof PRESET_BASES)[number];

/** The built-in preset a group starts from (see PresetBase). */
export function basePreset(agent: string, env: string, base: PresetBase = 'preset'): RunPreset & { tuned: boolean } {
  return base === 'defaults' ? agentDefaultsPreset(agent, env) : presetFor(agent, env);
}

/** An agent's hyperparameters for an env without a tuned preset. */
export function genericHyperparams(agent: string, envId: string): Record<string, unknown> {
  return { ...GENERIC_HYPERPARAMS[agent], ...observationDefaults(agent, resolveEnvId(envId)) };
}

/**
 * The line `train` prints for an env without a tuned preset; null when there is a preset, or when the agent
 * cannot act in the env at all (the trainer refuses that with its own message).
 */
export function noPresetNote(agent: string, env: string): string | null {
  const id = resolveEnvId(env);
  if (PRESETS[agent]?.[id]) return null;
  const probe = make(id);
  const supported = agentRegistration(agent).actionSpaces.includes(probe.actionSpace.type);
  probe.close();
  return supported ? `no preset for ${id}: using ${agent}'s defaults (${commandLine('hyperparams', `${agent} --env ${id}`)})` : null;
}
