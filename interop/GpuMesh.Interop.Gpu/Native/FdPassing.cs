using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace GpuMesh.Interop.Gpu.Native;

/// <summary>Sends and receives one file descriptor plus a small message over a Unix socket (SCM_RIGHTS).</summary>
public static unsafe partial class FdPassing
{
    private const int SolSocket = 1, ScmRights = 1;
    private const int MaxMessage = 4096;

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec { public void* Base; public nuint Length; }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name; public uint NameLength; public IoVec* Iov; public nuint IovLength;
        public void* Control; public nuint ControlLength; public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CmsgFd { public nuint Length; public int Level; public int Type; public int Fd; private int _padding; }

    [LibraryImport("libc", SetLastError = true)] private static partial nint sendmsg(nint socket, MsgHdr* message, int flags);
    [LibraryImport("libc", SetLastError = true)] private static partial nint recvmsg(nint socket, MsgHdr* message, int flags);

    /// <summary>Sends <paramref name="fd"/> (duplicated by the kernel; the caller keeps its own) with <paramref name="message"/>.</summary>
    public static void Send(Socket socket, int fd, ReadOnlySpan<byte> message)
    {
        if (message.IsEmpty || message.Length > MaxMessage)
            throw new ArgumentOutOfRangeException(nameof(message), $"Message must be 1..{MaxMessage} bytes.");
        fixed (byte* data = message)
        {
            var iov = new IoVec { Base = data, Length = (nuint)message.Length };
            var control = new CmsgFd { Length = (nuint)(16 + sizeof(int)), Level = SolSocket, Type = ScmRights, Fd = fd };
            var header = new MsgHdr { Iov = &iov, IovLength = 1, Control = &control, ControlLength = (nuint)sizeof(CmsgFd) };
            if (sendmsg(socket.Handle, &header, 0) != message.Length)
                throw new IOException($"sendmsg of fd {fd} failed: {Marshal.GetLastPInvokeErrorMessage()}");
        }
    }

    /// <summary>Receives one message and the fd sent with it (the caller owns the fd).</summary>
    public static int Receive(Socket socket, Span<byte> message, out int length)
    {
        fixed (byte* data = message)
        {
            var iov = new IoVec { Base = data, Length = (nuint)message.Length };
            var control = new CmsgFd();
            var header = new MsgHdr { Iov = &iov, IovLength = 1, Control = &control, ControlLength = (nuint)sizeof(CmsgFd) };
            var received = recvmsg(socket.Handle, &header, 0);
            if (received <= 0)
                throw new IOException($"recvmsg failed or the peer closed: {Marshal.GetLastPInvokeErrorMessage()}");
            length = (int)received;
            if (header.ControlLength < (nuint)(16 + sizeof(int)) || control.Level != SolSocket || control.Type != ScmRights)
                throw new IOException("Message carried no file descriptor (SCM_RIGHTS).");
            return control.Fd;
        }
    }
}
