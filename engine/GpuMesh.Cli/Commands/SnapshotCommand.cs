using System.CommandLine;
using GpuMesh.Engine.Services;
using GpuMesh.Interop.Mxl;
using SkiaSharp;

namespace GpuMesh.Cli.Commands;

internal static class SnapshotCommand
{
    public static Command Create()
    {
        var domain = CliParse.DomainOption();
        var flow = CliParse.FlowOption("--flow", "UUID of a video/v210 or video/v210a flow", required: true);
        var index = new Option<ulong?>("--index") { Description = "grain index (default: the flow's head, the last committed grain)" };
        var output = new Argument<string>("out.png") { Description = "PNG file to write" };
        var cmd = new Command("snapshot", "Write one grain of a v210 / v210a flow as a PNG (key plane as alpha).") { domain, flow, index, output };
        cmd.SetAction(parse =>
        {
            using var d = MxlDomain.Open(parse.GetValue(domain)!, create: false);
            Guid id = parse.GetValue(flow);
            ulong? n = parse.GetValue(index);
            ulong written = Write(d, id, n, parse.GetValue(output)!);
            Console.WriteLine($"flow {id} grain {written} -> {Path.GetFullPath(parse.GetValue(output)!)}");
            return 0;
        });
        return cmd;
    }

    /// <summary>Writes grain <paramref name="index"/> (or the head) of a flow to a PNG; returns the index written.</summary>
    public static ulong Write(MxlDomain domain, Guid flowId, ulong? index, string path)
    {
        using var reader = domain.OpenFlowReader(flowId);
        ulong n = index ?? reader.HeadIndex;
        MxlStatus s = reader.TryGetGrain(n, out GrainView g);
        if (s != MxlStatus.Ok)
            throw new InvalidOperationException($"flow {flowId} grain {n}: {s} (head is {reader.HeadIndex}, ring of {reader.GrainCount} grains)");
        if (g.IsInvalid) throw new InvalidOperationException($"flow {flowId} grain {n} is flagged INVALID: it carries no picture");
        var def = reader.Definition;
        byte[] rgba = GrainPictures.ToRgba8(def, g.Payload);
        // Re-check: the slot may have been rewritten while we converted it.
        if (reader.TryGetGrain(n, out _) != MxlStatus.Ok || reader.HeadIndex + 1 >= n + (ulong)reader.GrainCount)
            throw new InvalidOperationException($"flow {flowId} grain {n} left the ring while it was read; try an index closer to the head");
        using var bitmap = new SKBitmap(new SKImageInfo(def.FrameWidth, def.FrameHeight, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
        return n;
    }
}
