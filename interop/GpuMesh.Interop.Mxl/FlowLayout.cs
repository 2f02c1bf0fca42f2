namespace GpuMesh.Interop.Mxl;

/// <summary>Byte offsets of the MXL shared-memory format (see mxl-format.md).</summary>
public static class FlowLayout
{
    public const uint Version = 1;

    // data file
    public const int DataFileSize = 2064;
    public const int FlowInfoSize = 2048;
    public const int VersionOffset = 0;
    public const int SizeOffset = 4;
    public const int IdOffset = 8;
    public const int FormatOffset = 24;
    public const int FlagsOffset = 28;
    public const int RateNumeratorOffset = 32;
    public const int RateDenominatorOffset = 40;
    public const int MaxCommitBatchOffset = 48;
    public const int MaxSyncBatchOffset = 52;
    public const int PayloadLocationOffset = 56;
    public const int DeviceIndexOffset = 60;
    public const int SliceSizesOffset = 136;
    public const int ChannelCountOffset = 136;
    public const int BufferLengthOffset = 140;
    public const int GrainCountOffset = 152;
    public const int HeadIndexOffset = 200;
    public const int LastWriteTimeOffset = 208;
    public const int LastReadTimeOffset = 216;
    public const int InodeOffset = 2048;
    public const int SyncCounterOffset = 2056;

    // grain file
    public const int GrainHeaderSize = 8192;
    public const int GrainInfoSize = 4096;
    public const int GrainVersionOffset = 0;
    public const int GrainSizeFieldOffset = 4;
    public const int GrainIndexOffset = 8;
    public const int GrainFlagsOffset = 16;
    public const int GrainPayloadSizeOffset = 20;
    public const int GrainTotalSlicesOffset = 24;
    public const int GrainValidSlicesOffset = 26;
    public const int GrainUserAreaOffset = 4096;
    public const int GrainUserAreaSize = 4096;
    public const int GrainPayloadOffset = 8192;

    public const uint GrainFlagInvalid = 1;

    public const string FlowDirectorySuffix = ".mxl-flow";
    public const string TempDirectoryPrefix = ".mxl-tmp-";
    public const string FlowDefFileName = "flow_def.json";
    public const string DataFileName = "data";
    public const string AccessFileName = "access";
    public const string GrainsDirectoryName = "grains";
    public const string ChannelsFileName = "channels";
    public const string OptionsFileName = "options.json";
    public const string HistoryOptionKey = "urn:x-mxl:option:history_duration/v1.0";
    public const ulong DefaultHistoryDurationNs = 200_000_000;

    /// <summary>Safety caps for values read from shared memory.</summary>
    public const uint MaxGrainCount = 1 << 20;
    /// <summary>Samples per channel ring: 2^27 keeps every sample count times the word size (8) inside an int span length.</summary>
    public const uint MaxBufferLength = 1 << 27;

    public static string GrainFileName(int slot) => $"data.{slot}";

    /// <summary>grainCount = history·num / (1e9·den), integer division.</summary>
    public static ulong GrainCount(ulong historyNs, Rational rate)
        => (ulong)((UInt128)historyNs * (ulong)rate.Numerator / ((UInt128)1_000_000_000UL * (ulong)rate.Denominator));

    /// <summary>bufferLength = history·num / (5e8·den), rounded up to a multiple of 4096 / wordSize.</summary>
    public static ulong BufferLength(ulong historyNs, Rational rate, int wordSize)
    {
        ulong samples = (ulong)((UInt128)historyNs * (ulong)rate.Numerator / ((UInt128)500_000_000UL * (ulong)rate.Denominator));
        ulong multiple = (ulong)(4096 / wordSize);
        return (samples + multiple - 1) / multiple * multiple;
    }

    internal static long PageRound(long n) => (n + 4095) & ~4095L;
}

/// <summary>A memory-mapped file (whole file, MAP_SHARED).</summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private MappedFile(string path, int fd, nint address, long length, bool writable, ulong inode)
    {
        Path = path;
        Fd = fd;
        Address = address;
        Length = length;
        Writable = writable;
        Inode = inode;
    }

    public string Path { get; }
    public int Fd { get; private set; }
    public nint Address { get; private set; }
    public long Length { get; }
    public bool Writable { get; }
    public ulong Inode { get; }
    public byte* Pointer => (byte*)Address;

    /// <summary>Mapping length rounded up to whole pages (what mmap actually maps).</summary>
    public long MappedLength => FlowLayout.PageRound(Length);

    /// <summary>Opens and maps a file. minLength guards against truncated files before any pointer use.</summary>
    public static MappedFile Open(string path, bool writable, long minLength, Guid flowId, string what)
    {
        int fd = Native.Open(path, (writable ? Native.O_RDWR : Native.O_RDONLY) | Native.O_CLOEXEC, 0);
        if (fd < 0)
        {
            int errno = Native.LastErrno;
            MxlStatus status = errno == Native.ENOENT ? MxlStatus.FlowNotFound
                : errno == 13 || errno == 30 ? MxlStatus.PermissionDenied : MxlStatus.Unknown;
            throw new MxlException(status, $"flow {flowId}: cannot open {what} '{path}': {Native.ErrnoText(errno)}", flowId);
        }
        try
        {
            Native.FileStat st = Native.FStat(fd, path);
            if (st.Size < minLength)
                throw new MxlFlowCorruptException(flowId, what, $"file '{path}' is {st.Size} bytes, expected at least {minLength}");
            return MapFd(path, fd, st, writable, flowId, what);
        }
        catch
        {
            Native.Close(fd);
            throw;
        }
    }

    /// <summary>Creates a new file (O_EXCL, mode 0664), sizes it with posix_fallocate and maps it read-write.</summary>
    public static MappedFile Create(string path, long length, Guid flowId, string what)
    {
        int fd = Native.Open(path, Native.O_CREAT | Native.O_EXCL | Native.O_RDWR | Native.O_CLOEXEC, 0x1B4 /* 0664 */);
        if (fd < 0)
            throw new MxlException(MxlStatus.Unknown, $"flow {flowId}: cannot create {what} '{path}': {Native.ErrnoText(Native.LastErrno)}", flowId);
        try
        {
            if (length > 0)
            {
                int r = Native.PosixFallocate(fd, 0, length);
                if (r != 0)
                    throw new MxlException(MxlStatus.Unknown, $"flow {flowId}: posix_fallocate({what}, {length}) failed: {Native.ErrnoText(r)}", flowId);
            }
            Native.FileStat st = Native.FStat(fd, path);
            return MapFd(path, fd, st, true, flowId, what);
        }
        catch
        {
            Native.Close(fd);
            throw;
        }
    }

    private const long PopulateLimit = 256L << 20;

    private static MappedFile MapFd(string path, int fd, Native.FileStat st, bool writable, Guid flowId, string what)
    {
        nint address = 0;
        if (st.Size > 0)
        {
            int prot = writable ? Native.PROT_READ | Native.PROT_WRITE : Native.PROT_READ;
            // Pre-fault ordinary grain-sized files so the first grain through each slot is not late on page faults.
            int flags = st.Size <= PopulateLimit ? Native.MAP_SHARED | Native.MAP_POPULATE : Native.MAP_SHARED;
            address = Native.Mmap(0, (nuint)st.Size, prot, flags, fd, 0);
            if (address == -1)
                throw new MxlException(MxlStatus.Unknown, $"flow {flowId}: mmap of {what} '{path}' ({st.Size} bytes) failed: {Native.ErrnoText(Native.LastErrno)}", flowId);
        }
        return new MappedFile(path, fd, address, st.Size, writable, st.Inode);
    }

    /// <summary>True while the file is still linked into a directory (not deleted or replaced).</summary>
    public bool IsLinked()
    {
        try
        {
            return Native.FStat(Fd, Path).LinkCount > 0;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public bool TryLock(int operation) => Native.Flock(Fd, operation | Native.LOCK_NB) == 0;

    public void Dispose()
    {
        if (Address != 0)
        {
            Native.Munmap(Address, (nuint)Length);
            Address = 0;
        }
        if (Fd >= 0)
        {
            Native.Close(Fd);
            Fd = -1;
        }
    }
}
