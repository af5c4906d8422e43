using System.Runtime.InteropServices;

namespace TinyGru.Cli;

/// <summary>
/// Writes files through a temporary file in the same folder and renames it into place, so a failed or interrupted
/// run never leaves a partial file and never destroys an existing one. Only regular files are replaced: an output
/// path that is a folder, a symbolic link, a device or a pipe, or that is one of the command's inputs, is refused
/// before any work. Errors name the output path, never the hidden temporary file.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write, params string?[] inputs)
    {
        using var batch = new OutputBatch();
        write(batch.Add(path, inputs));
        batch.Commit();
    }

    public static void WriteAllBytes(string path, byte[] bytes, params string?[] inputs) => Write(path, s => s.Write(bytes), inputs);

    /// <summary>Checks that <paramref name="path"/> may be written — before long work whose result goes there — and returns its folder.</summary>
    public static string RequireFolder(string path, params string?[] inputs)
    {
        CheckOutputPath(path, inputs);
        return Path.GetDirectoryName(Path.GetFullPath(path))!;
    }

    /// <summary>Refuses an output path TinyGru must not replace, with a one-line error naming it.</summary>
    public static void CheckOutputPath(string path, params string?[] inputs)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new CliException("the output path is empty; expected a file name");
        string full;
        try { full = Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { throw new CliException($"{path}: not a valid output path: {e.Message}"); }
        if (full.EndsWith(Path.DirectorySeparatorChar) || Directory.Exists(full))
            throw new CliException($"{path}: is a folder; expected an output file name");
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new CliException($"{path}: the folder {dir} does not exist");
        switch (FileKinds.Of(full))
        {
            case FileKind.SymbolicLink:
                throw new CliException($"{path}: is a symbolic link; TinyGru replaces only regular files (write to the link's target path)");
            case FileKind.Other:
                throw new CliException($"{path}: is a device, pipe or socket, not a regular file; TinyGru writes outputs only to regular files");
        }
        foreach (var input in inputs)
        {
            if (input is null || !SameFile(full, input)) continue;
            throw new CliException($"{path}: is also an input of this command ({input}); write the output to another file");
        }
    }

    private static bool SameFile(string fullOutput, string input)
    {
        try
        {
            var a = Path.GetFullPath(input);
            var target = File.Exists(a) ? new FileInfo(a).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? a : a;
            var cmp = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            return string.Equals(a, fullOutput, cmp) || string.Equals(target, fullOutput, cmp);
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>Rewrites an I/O error about the temporary file as one about the output path.</summary>
    internal static CliException Failure(string path, string temp, Exception e) =>
        new($"{path}: cannot write the file: {e.Message.Replace(temp, path)}");
}

/// <summary>
/// The outputs of one command, committed together: each is written to a temporary file created up front (so an
/// unwritable folder fails before training, not after), and only when every one has been written are they renamed
/// into place. Disposing without <see cref="Commit"/> deletes the temporary files and leaves every old file as it was.
/// </summary>
internal sealed class OutputBatch : IDisposable
{
    private readonly List<(string Path, string Full, string Temp, FileStream Stream)> _outputs = new();
    private bool _committed;

    /// <summary>Validates <paramref name="path"/>, creates its temporary file and returns the stream to write it through.</summary>
    public Stream Add(string path, params string?[] inputs)
    {
        AtomicFile.CheckOutputPath(path, inputs);
        var full = Path.GetFullPath(path);
        if (_outputs.Any(o => o.Full == full)) throw new CliException($"{path}: is given for two outputs of this command");
        var temp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            _outputs.Add((path, full, temp, stream));
            return stream;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw AtomicFile.Failure(path, temp, e);
        }
    }

    /// <summary>Flushes every output to disk, then renames each into place (the first one given last).</summary>
    public void Commit()
    {
        foreach (var o in _outputs)
        {
            try
            {
                o.Stream.Flush(flushToDisk: true);
                o.Stream.Dispose();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw AtomicFile.Failure(o.Path, o.Temp, e); }
        }
        for (int i = _outputs.Count - 1; i >= 0; i--)
        {
            var o = _outputs[i];
            try { File.Move(o.Temp, o.Full, overwrite: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw AtomicFile.Failure(o.Path, o.Temp, e); }
        }
        _committed = true;
    }

    public void Dispose()
    {
        foreach (var o in _outputs)
        {
            o.Stream.Dispose();
            if (_committed) continue;
            try { File.Delete(o.Temp); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}

internal enum FileKind { Missing, Regular, Directory, SymbolicLink, Other }

/// <summary>A path's file type (lstat), which .NET does not expose: devices and pipes look like empty files to FileInfo.</summary>
internal static class FileKinds
{
    public static FileKind Of(string path)
    {
        if (new FileInfo(path).LinkTarget is not null) return FileKind.SymbolicLink;
        if (Directory.Exists(path)) return FileKind.Directory;
        if (!File.Exists(path)) return FileKind.Missing;
        if (OperatingSystem.IsWindows()) return FileKind.Regular;
        try
        {
            return (UnixMode(path) & 0xF000) == 0x8000 ? FileKind.Regular : FileKind.Other;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return FileKind.Regular;
        }
    }

    /// <summary>st_mode through the .NET runtime's own native shim (its FileStatus starts Flags, Mode as two int32).</summary>
    private static unsafe int UnixMode(string path)
    {
        byte* status = stackalloc byte[512];
        if (SystemNativeLStat(path, status) != 0) return 0x8000; // vanished meanwhile: nothing to refuse
        return *(int*)(status + 4);
    }

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat", SetLastError = true)]
    private static extern unsafe int SystemNativeLStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* status);
}
