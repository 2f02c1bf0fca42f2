#version 450
// Processes a grain word by word: dst[i] = src[i] ^ xorMask.
// With xorMask = 0x3FFFFFFF this inverts every 10-bit component of a v210 grain.
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) readonly buffer Source { uint src[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Destination { uint dst[]; };
layout(push_constant) uniform Parameters { uint wordCount; uint xorMask; } parameters;

void main()
{
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < parameters.wordCount; i += stride)
        dst[i] = src[i] ^ parameters.xorMask;
}
