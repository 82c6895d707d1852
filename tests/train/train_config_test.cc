// The resolved config as the trainer's options, and what training refuses.
#include <gtest/gtest.h>

#include "runtime/backend/backend.h"
#include "runtime/config/config.h"
#include "runtime/core/error.h"
#include "runtime/train/checkpoint_store.h"
#include "runtime/train/train_config.h"

namespace ra::train {
namespace {

config::RunConfig resolved(const std::vector<std::string>& sets, int world = 2,
                           config::CudaSupport cuda = config::CudaSupport::kNotBuilt) {
  config::ConfigRequest r;
  r.sets = sets;
  config::LoadedConfig l = config::load_config(r);
  config::resolve(l, {world, cuda});
  return l.config;
}

TEST(TrainConfig, MapsEveryKey) {
  const config::RunConfig resolved_config =
      resolved({"model.d_model=48", "model.layers=3", "model.heads=6", "model.kv_heads=2", "model.head_dim=8",
                "model.mlp_hidden=96", "model.tied_embeddings=false", "model.positions=alibi", "model.rope_scaling=ntk",
                "model.rope_factor=4", "attention.window=33", "parallel.dp=2", "train.steps=77", "train.lr=0.01",
                "train.min_lr=0.001", "train.warmup_steps=7", "train.grad_clip=0.5", "attention.tiles.forward_q=32"});
  const TrainOptions o = train_options_from(resolved_config);
  EXPECT_EQ(o.model.d_model, 48);
  EXPECT_EQ(o.model.layers, 3);
  EXPECT_EQ(o.model.heads, 6);
  EXPECT_EQ(o.model.kv_heads, 2);
  EXPECT_EQ(o.model.embeddings, model::Embeddings::kUntied);
  EXPECT_EQ(o.model.positions, model::Positions::kAlibi);
  EXPECT_EQ(o.model.rope.scaling, model::RopeScaling::kNtk);
  EXPECT_EQ(o.model.rope.factor, 4.0);
  EXPECT_EQ(o.model.mask.window, 33);
  EXPECT_EQ(o.dp, 2);
  EXPECT_EQ(o.layout, layout::Layout::kContiguous) << "auto with a window";
  EXPECT_EQ(o.steps, 77);
  EXPECT_EQ(o.optimizer.total_steps, 77);
  EXPECT_EQ(o.optimizer.peak_lr, 0.01);
  EXPECT_EQ(o.optimizer.warmup_steps, 7);
  EXPECT_EQ(o.optimizer.grad_clip, 0.5);
  // The kernel tiles reach the block operation through the composition root.
  EXPECT_EQ(backend::backend_options(resolved_config).forward_tiles.q_rows, 32);
}

TEST(TrainConfig, RefusesBf16OnTheCpuBackend) {
  EXPECT_THROW(train_options_from(resolved({"attention.dtype=bf16"})), UsageError);
}

// The device model: simt always, cuda in a build with CUDA (config resolution refuses it
// otherwise); both store the attention's inputs in bf16.
TEST(TrainConfig, TrainsOnTheSimtAndCudaBackends) {
  EXPECT_EQ(train_options_from(resolved({"attention.backend=simt", "attention.dtype=bf16"})).model.d_model,
            resolved({}).model().d_model());
  EXPECT_NO_THROW(train_options_from(resolved({"attention.backend=cuda", "attention.dtype=bf16", "comm.backend=nccl"},
                                              2, config::CudaSupport::kBuilt)));
  EXPECT_THROW(resolved({"attention.backend=cuda", "attention.dtype=bf16"}, 2, config::CudaSupport::kNotBuilt),
               UsageError);
}

TEST(TrainConfig, TheHashIgnoresCadenceAndPathsButNotTheTrajectory) {
  const std::string base = config_hash(resolved({}));
  EXPECT_EQ(base.size(), 16u);
  EXPECT_EQ(config_hash(resolved({"train.log_every=3", "train.checkpoint_dir=/x", "output_dir=/y", "train.resume=false",
                                  "train.on_damaged_checkpoint=set_aside", "comm.timeout=9", "train.eval_every=7"})),
            base);
  for (const char* change : {"train.lr=0.01", "train.steps=99", "model.layers=3", "train.seed=2", "attention.window=5",
                             "train.data.passkey_digits=4"})
    EXPECT_NE(config_hash(resolved({change})), base) << change;
}

}  // namespace
}  // namespace ra::train
