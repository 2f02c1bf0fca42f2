using System.Diagnostics;
using System.Reflection;
using GpuMesh.Interop.Mxl;
using Xunit;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace GpuMesh.Interop.Mxl.Tests;

/// <summary>A throw-away MXL domain on /dev/shm (tmpfs), removed on dispose.</summary>
internal sealed class TempDomain : IDisposable
{
    public TempDomain(ulong? historyNs = null)
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();
        Path = System.IO.Path.Combine(root, "gpumesh-mxl-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
        if (historyNs is not null)
            File.WriteAllText(System.IO.Path.Combine(Path, "options.json"), $"{{\"urn:x-mxl:option:history_duration/v1.0\": {historyNs}}}");
        Domain = MxlDomain.Open(Path);
    }

    public string Path { get; }
    public MxlDomain Domain { get; }

    public string FlowFile(Guid id, params string[] parts)
        => System.IO.Path.Combine([Domain.FlowDirectory(id), .. parts]);

    public void Dispose()
    {
        try { Directory.Delete(Path, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Runs the GpuMesh.Mxl.TestPeer helper process (stdout read on a dedicated thread, not the pool).</summary>
internal sealed class Peer : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly Thread _stdoutReader;
    private readonly Thread _stderrReader;

    public static string PeerDll => typeof(Peer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "TestPeerPath").Value!;

    public Peer(params string[] args)
    {
        ProcessStartInfo psi = new("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add(PeerDll);
        foreach (string a in args) psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _stdoutReader = StartReader(_process.StandardOutput, "");
        _stderrReader = StartReader(_process.StandardError, "stderr: ");
    }

    private Thread StartReader(StreamReader reader, string prefix)
    {
        Thread t = new(() =>
        {
            while (reader.ReadLine() is { } line)
            {
                lock (_lines)
                {
                    _lines.Add(prefix + line);
                    Monitor.PulseAll(_lines);
                }
            }
        }) { IsBackground = true };
        t.Start();
        return t;
    }

    public int Pid => _process.Id;

    public IReadOnlyList<string> Lines
    {
        get { lock (_lines) return [.. _lines]; }
    }

    /// <summary>Waits for a stdout line starting with <paramref name="prefix"/>.</summary>
    public string WaitForLine(string prefix, int timeoutMs = 30_000)
    {
        Stopwatch sw = Stopwatch.StartNew();
        lock (_lines)
        {
            while (true)
            {
                string? line = _lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
                if (line is not null) return line;
                if (!_stdoutReader.IsAlive)
                    throw new InvalidOperationException($"peer exited before '{prefix}': {string.Join(" | ", _lines)}");
                long left = timeoutMs - sw.ElapsedMilliseconds;
                if (left <= 0)
                    throw new TimeoutException($"peer did not print '{prefix}' in {timeoutMs} ms: {string.Join(" | ", _lines)}");
                Monitor.Wait(_lines, (int)Math.Min(left, 100));
            }
        }
    }

    public void Send(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    public int WaitForExit(int timeoutMs = 30_000)
    {
        if (!_process.WaitForExit(timeoutMs)) throw new TimeoutException("peer did not exit: " + string.Join(" | ", Lines));
        _stdoutReader.Join(5000);
        _stderrReader.Join(5000);
        int code = _process.ExitCode;
        Assert.True(code == 0, $"peer exited with {code}: {string.Join(" | ", Lines)}");
        return code;
    }

    /// <summary>kill -9.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(); _process.WaitForExit(); } catch (InvalidOperationException) { }
        }
        _process.Dispose();
    }
}

internal static class Defs
{
    public static string Video(Guid id, int width = 64, int height = 8, long num = 50, long den = 1, bool key = false,
        InterlaceMode mode = InterlaceMode.Progressive)
        => FlowDefinitions.Video(id, "test video", width, height, new Rational(num, den), key, mode);

    public static string Data(Guid id, long num = 50, long den = 1) => FlowDefinitions.Data(id, "test data", new Rational(num, den));

    public static string Audio(Guid id, int channels = 2, int rate = 48000, int bitDepth = 32)
        => FlowDefinitions.Audio(id, "test audio", rate, channels, bitDepth);

    public static string WriteTemp(TempDomain d, string json)
    {
        string file = Path.Combine(d.Path, "def-" + Guid.NewGuid().ToString("N") + ".json.txt");
        File.WriteAllText(file, json);
        return file;
    }
}
