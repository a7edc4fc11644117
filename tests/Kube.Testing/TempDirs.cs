namespace Kube.Testing;

/// <summary>Scratch folders under the temp directory.</summary>
public static class TempDirs
{
    /// <summary>Creates <c>$TMPDIR/&lt;prefix&gt;-&lt;guid&gt;</c> and returns its path.</summary>
    public static string Create(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Deletes <paramref name="dir"/> and everything in it; a folder still in use is left (returns false).</summary>
    public static bool TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }

            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
