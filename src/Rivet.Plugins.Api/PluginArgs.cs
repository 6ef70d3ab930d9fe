using System.Collections;
using System.Globalization;

namespace Rivet.Plugins;

/// <summary>
/// A plugin's arguments: the <c>key=value</c> pairs after its name in
/// <c>-plugin NAME,key=value,...</c>, in order (a key may repeat). The typed getters throw
/// <see cref="PluginArgumentException"/> with a message naming the key, so a plugin can let
/// them propagate out of <see cref="IRivetPlugin.Install"/>.
/// </summary>
public sealed class PluginArgs : IReadOnlyList<KeyValuePair<string, string>>
{
    private readonly KeyValuePair<string, string>[] _items;

    /// <summary>No arguments.</summary>
    public static PluginArgs Empty { get; } = new([]);

    /// <summary>Arguments from pairs, in order.</summary>
    /// <param name="items">The pairs.</param>
    public PluginArgs(IEnumerable<KeyValuePair<string, string>> items)
    {
        _items = [.. items];
    }

    /// <summary>Parses <c>key=value,key=value</c> (the part of a <c>-plugin</c> option after the name).</summary>
    /// <param name="text">The text; empty gives no arguments.</param>
    /// <returns>The arguments.</returns>
    /// <exception cref="PluginArgumentException">An item has no <c>=</c> or an empty key.</exception>
    public static PluginArgs Parse(string text)
    {
        if (string.IsNullOrEmpty(text)) return Empty;
        var items = new List<KeyValuePair<string, string>>();
        foreach (string item in text.Split(','))
        {
            int eq = item.IndexOf('=');
            if (eq <= 0) throw new PluginArgumentException($"argument '{item}' is not key=value");
            items.Add(new(item[..eq], item[(eq + 1)..]));
        }
        return new PluginArgs(items);
    }

    /// <summary>The number of pairs.</summary>
    public int Count => _items.Length;

    /// <summary>The pair at <paramref name="index"/>.</summary>
    /// <param name="index">The position, from 0.</param>
    public KeyValuePair<string, string> this[int index] => _items[index];

    /// <summary>Enumerates the pairs in order.</summary>
    /// <returns>The enumerator.</returns>
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, string>>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>True if <paramref name="key"/> was given.</summary>
    /// <param name="key">The key.</param>
    /// <returns>Whether it was given.</returns>
    public bool Contains(string key) => _items.Any(p => p.Key == key);

    /// <summary>The last value given for <paramref name="key"/>, or null.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The value, or null.</returns>
    public string? Get(string key)
    {
        for (int i = _items.Length - 1; i >= 0; i--)
        {
            if (_items[i].Key == key) return _items[i].Value;
        }
        return null;
    }

    /// <summary>Every value given for <paramref name="key"/>, in order.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The values (empty if none).</returns>
    public IReadOnlyList<string> GetAll(string key) => [.. _items.Where(p => p.Key == key).Select(p => p.Value)];

    /// <summary>The value of <paramref name="key"/>, or <paramref name="defaultValue"/> if it was not given.</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">The value when absent.</param>
    /// <returns>The value.</returns>
    public string GetString(string key, string defaultValue) => Get(key) ?? defaultValue;

    /// <summary>A boolean: <c>on</c>, <c>true</c>, <c>yes</c> or <c>off</c>, <c>false</c>, <c>no</c> (QEMU's <c>qemu_plugin_bool_parse</c>, plus yes/no).</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">The value when absent.</param>
    /// <returns>The value.</returns>
    /// <exception cref="PluginArgumentException">The value is not a boolean.</exception>
    public bool GetBool(string key, bool defaultValue)
    {
        string? v = Get(key);
        return v switch
        {
            null => defaultValue,
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" => false,
            _ => throw new PluginArgumentException($"{key}={v}: expected on/off (or true/false)"),
        };
    }

    /// <summary>A signed integer, decimal or <c>0x</c> hexadecimal, within <paramref name="min"/>..<paramref name="max"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">The value when absent.</param>
    /// <param name="min">The smallest value accepted.</param>
    /// <param name="max">The largest value accepted.</param>
    /// <returns>The value.</returns>
    /// <exception cref="PluginArgumentException">The value is not such a number.</exception>
    public long GetInt64(string key, long defaultValue, long min = long.MinValue, long max = long.MaxValue)
    {
        string? v = Get(key);
        if (v == null) return defaultValue;
        bool negative = v.StartsWith('-');
        ulong magnitude = ParseNumber(key, negative ? v[1..] : v);
        long value;
        if (negative)
        {
            if (magnitude > (ulong)long.MaxValue + 1) throw OutOfRange(key, v, min, max);
            value = magnitude == (ulong)long.MaxValue + 1 ? long.MinValue : -(long)magnitude;
        }
        else
        {
            if (magnitude > long.MaxValue) throw OutOfRange(key, v, min, max);
            value = (long)magnitude;
        }
        if (value < min || value > max) throw OutOfRange(key, v, min, max);
        return value;
    }

    /// <summary>An unsigned integer, decimal or <c>0x</c> hexadecimal (addresses, counts).</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">The value when absent.</param>
    /// <returns>The value.</returns>
    /// <exception cref="PluginArgumentException">The value is not such a number.</exception>
    public ulong GetUInt64(string key, ulong defaultValue)
    {
        string? v = Get(key);
        return v == null ? defaultValue : ParseNumber(key, v);
    }

    /// <summary>Parses an unsigned number, decimal or <c>0x</c> hexadecimal, for <paramref name="key"/>'s error message.</summary>
    /// <param name="key">The key the text belongs to (for the message).</param>
    /// <param name="text">The text.</param>
    /// <returns>The value.</returns>
    /// <exception cref="PluginArgumentException">The text is not such a number.</exception>
    public static ulong ParseNumber(string key, string text)
    {
        bool ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value)
            : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        if (!ok) throw new PluginArgumentException($"{key}={text}: expected a number (decimal or 0x hexadecimal)");
        return value;
    }

    /// <summary>Rejects any key not in <paramref name="known"/>, naming it and the known ones.</summary>
    /// <param name="known">The keys the plugin accepts.</param>
    /// <exception cref="PluginArgumentException">An unknown key was given.</exception>
    public void RejectUnknown(params string[] known)
    {
        foreach (KeyValuePair<string, string> p in _items)
        {
            if (Array.IndexOf(known, p.Key) < 0)
            {
                string list = known.Length == 0 ? "it takes no arguments" : "known: " + string.Join(", ", known);
                throw new PluginArgumentException($"unknown argument '{p.Key}' ({list})");
            }
        }
    }

    /// <summary>The arguments as they were written: <c>key=value,...</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => string.Join(",", _items.Select(p => $"{p.Key}={p.Value}"));

    private static PluginArgumentException OutOfRange(string key, string v, long min, long max)
        => new($"{key}={v}: expected a number from {min} to {max}");
}
