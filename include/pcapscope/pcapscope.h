// The whole public API: capture (reading evidence), decode (layers),
// fields (named, typed access), writer (carving). See docs/api.md.
#pragma once

#include "pcapscope/capture.h"
#include "pcapscope/decode.h"
#include "pcapscope/fields.h"
#include "pcapscope/result.h"
#include "pcapscope/session.h"
#include "pcapscope/writer.h"
