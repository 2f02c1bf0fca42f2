using ILGPU.Runtime.Cuda;

namespace GpuMesh.Interop.Gpu.Cuda;

/// <summary>
/// Process-wide, reference-counted cuMemHostRegister of whole slot mappings: CUDA refuses to register a range
/// twice, so every importer in the process shares one registration per mapping.
/// </summary>
public static class CudaHostRegistry
{
    private sealed class Registration
    {
        public required nint Context;
        public required long Length;
        public required CudaHostRegisterFlags Flags;
        public required ulong DevicePointer;
        public int References;
    }

    private static readonly Dictionary<nint, Registration> Registrations = new();
    private static readonly Lock Sync = new();

    /// <summary>Number of mappings currently registered (for tests).</summary>
    public static int Count
    {
        get { lock (Sync) return Registrations.Count; }
    }

    /// <summary>
    /// Registers the mapping of <paramref name="grain"/> with DEVICEMAP (plus READ_ONLY for reader mappings) on
    /// <paramref name="accelerator"/>'s context and returns the device pointer of the mapping start.
    /// </summary>
    public static ulong Acquire(CudaAccelerator accelerator, in GrainMemory grain)
    {
        grain.Validate(HostBuffer.PageSize);
        var flags = CudaHostRegisterFlags.DeviceMap | (grain.Writable ? 0 : CudaHostRegisterFlags.ReadOnly);
        lock (Sync)
        {
            if (Registrations.TryGetValue(grain.MappingAddress, out var existing))
            {
                if (existing.Context != accelerator.NativePtr || existing.Length != grain.MappingLength || existing.Flags != flags)
                    throw new GrainImportException(
                        $"{grain.Describe()}: mapping 0x{grain.MappingAddress:x} is already registered with CUDA " +
                        $"({existing.Length} bytes, {existing.Flags}) on another context or with other flags.");
                existing.References++;
                return existing.DevicePointer;
            }
            accelerator.Bind();
            CudaDriver.Check(CudaDriver.cuMemHostRegister(grain.MappingAddress, (nuint)grain.MappingLength, flags),
                $"{grain.Describe()}: cuMemHostRegister({grain.MappingLength} bytes, {flags})");
            var pointer = CudaDriver.cuMemHostGetDevicePointer(out var device, grain.MappingAddress, 0);
            if (pointer != CudaResult.Success)
            {
                CudaDriver.cuMemHostUnregister(grain.MappingAddress);
                CudaDriver.Check(pointer, $"{grain.Describe()}: cuMemHostGetDevicePointer");
            }
            Registrations.Add(grain.MappingAddress, new Registration
            {
                Context = accelerator.NativePtr, Length = grain.MappingLength, Flags = flags, DevicePointer = device, References = 1,
            });
            return device;
        }
    }

    /// <summary>Drops one reference; the last one unregisters the mapping.</summary>
    public static void Release(CudaAccelerator accelerator, nint mappingAddress)
    {
        lock (Sync)
        {
            if (!Registrations.TryGetValue(mappingAddress, out var registration))
                return;
            if (--registration.References > 0)
                return;
            Registrations.Remove(mappingAddress);
            accelerator.Bind();
            CudaDriver.cuMemHostUnregister(mappingAddress);
        }
    }
}
