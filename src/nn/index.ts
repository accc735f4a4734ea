// The model-side library the CLI and the web page use.
//
//   const model = new ResNet18(gpu, { numClasses: 15 });            // torchvision topology and names
//   model.loadStateDict((await loadWeightsFile(path)).tensors, { strict: false }); // e.g. ImageNet weights
//   const opt = new Adadelta(model.arena);                            // torch defaults
//   model.train();
//   const loss = trainStep(model, opt, images, labels);               // records one step, no readback
//   gpu.submit(); ... (await loss.toFloat32())[0]; loss.release();   // read every few steps
//   const stats = trainStepWithStats(model, opt, images, labels);     // [loss, correct] in one tensor
//   const logits = evalForward(model, images);                        // running statistics, no graph
//   saveSafetensorsFile(path, await model.stateDict());
export { ParamArena, type ParamEntry, type ParamSpec } from './arena.js';
export { AdaptiveAvgPool2d, BasicBlock, BatchNorm2d, Conv2d, Linear, MaxPool2d, ModuleBuilder, ReLU, type StateEntry } from './modules.js';
export * as ops from './ops.js';
export { Adadelta, AdamW, Sgd, type Optimizer, type OptimizerState, type OptimizerStateInput } from './optim.js';
export { ResNet18, type ResNet18Options } from './resnet.js';
export { exportStateDict, importStateDict, type LoadOptions } from './state.js';
export { Tape, Var, type Node } from './tape.js';
export { evalForward, forward, lossAndGradients, lossAndGradientsWithStats, trainStep, trainStepWithStats, type LossOptions, type StepStats } from './train.js';
