package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// errUnstrippable means a file decoded but its structure is not one the
// metadata stripper walks with confidence; the caller then re-encodes the
// pixels rather than store bytes it has not vetted.
var errUnstrippable = errors.New("imaging: image structure not understood")

// stripMetadata returns raw without the segments or chunks that carry
// metadata (EXIF, XMP, IPTC, comments, text), along with the EXIF
// orientation (1–8, 1 when there is none) found in what was removed. The
// compressed pixel data is copied as it is, so nothing is lost to a second
// lossy encode. Everything not on an allow list is dropped, including
// bytes after the end of the image. It returns errUnstrippable when the
// structure cannot be walked; it never reads outside raw.
func stripMetadata(raw []byte, format string) ([]byte, int, error) {
	switch format {
	case "jpeg":
		return stripJPEG(raw)
	case "png":
		return stripPNG(raw)
	case "webp":
		return stripWebP(raw)
	}
	return nil, 1, errUnstrippable
}

// JPEG: https://www.w3.org/Graphics/JPEG/itu-t81.pdf, section B.1.1.

// keepJPEGSegment reports whether a marker segment is needed to show the
// image. APPn and COM are metadata except JFIF (density), the ICC profile
// (colours) and Adobe (colour transform of CMYK and RGB files); frame
// headers, tables, scan headers and DNL are image data. Any other marker
// is not one a decoder needs, and one this walker does not vouch for.
func keepJPEGSegment(marker byte, payload []byte) (keep bool, err error) {
	switch {
	case marker == 0xE0:
		return bytes.HasPrefix(payload, []byte("JFIF\x00")), nil
	case marker == 0xE2:
		return bytes.HasPrefix(payload, []byte("ICC_PROFILE\x00")), nil
	case marker == 0xEE:
		return bytes.HasPrefix(payload, []byte("Adobe")), nil
	case marker >= 0xE1 && marker <= 0xEF, marker == 0xFE:
		return false, nil
	case marker >= 0xC0 && marker <= 0xCF, marker >= 0xDA && marker <= 0xDD:
		return true, nil
	}
	return false, errUnstrippable
}

// stripJPEG walks every marker segment up to EOI, including those between
// the scans of a progressive file, skipping entropy-coded data by its
// byte stuffing. Data after EOI (MPF second images, depth maps, trailers
// that carry their own EXIF) is dropped.
func stripJPEG(raw []byte) ([]byte, int, error) {
	if len(raw) < 4 || raw[0] != 0xFF || raw[1] != 0xD8 {
		return nil, 1, errUnstrippable
	}
	out := make([]byte, 0, len(raw))
	out = append(out, 0xFF, 0xD8)
	orientation := exifOrientation(raw)
	i := 2
	inScan := false
	for {
		if inScan {
			// Find the next marker: FF followed by neither a stuffed 00,
			// a restart marker nor fill.
			start := i
			for i+1 < len(raw) {
				if raw[i] == 0xFF && raw[i+1] != 0x00 && raw[i+1] != 0xFF && (raw[i+1] < 0xD0 || raw[i+1] > 0xD7) {
					break
				}
				i++
			}
			if i+1 >= len(raw) {
				return nil, 1, errUnstrippable
			}
			out = append(out, raw[start:i]...)
			inScan = false
		}
		if i+2 > len(raw) || raw[i] != 0xFF {
			return nil, 1, errUnstrippable
		}
		marker := raw[i+1]
		switch {
		case marker == 0xFF: // fill byte before a marker
			i++
			continue
		case marker == 0xD9: // EOI
			return append(out, 0xFF, 0xD9), orientation, nil
		case marker == 0x01 || marker >= 0xD0 && marker <= 0xD8:
			// Standalone markers carry no payload; a second SOI is malformed.
			if marker == 0xD8 {
				return nil, 1, errUnstrippable
			}
			out = append(out, raw[i:i+2]...)
			i += 2
			continue
		}
		if i+4 > len(raw) {
			return nil, 1, errUnstrippable
		}
		n := int(binary.BigEndian.Uint16(raw[i+2:]))
		if n < 2 || i+2+n > len(raw) {
			return nil, 1, errUnstrippable
		}
		seg, payload := raw[i:i+2+n], raw[i+4:i+2+n]
		keep, err := keepJPEGSegment(marker, payload)
		if err != nil {
			return nil, 1, err
		}
		if keep {
			out = append(out, seg...)
		}
		i += 2 + n
		inScan = marker == 0xDA
	}
}

// PNG: https://www.w3.org/TR/png-3/#5Chunk-layout.

// keptPNGChunks are the chunks that change how the pixels look. Text
// (tEXt, zTXt, iTXt), eXIf, tIME and anything unknown are dropped; so is
// APNG animation, which image/png does not decode either, leaving the
// still default image that was validated.
var keptPNGChunks = map[string]bool{
	"IHDR": true, "PLTE": true, "IDAT": true, "IEND": true,
	"tRNS": true, "gAMA": true, "cHRM": true, "sRGB": true, "iCCP": true,
	"sBIT": true, "bKGD": true, "pHYs": true, "cICP": true, "mDCV": true, "cLLI": true,
}

const pngSignature = "\x89PNG\r\n\x1a\n"

// stripPNG copies the allowed chunks up to IEND, checking each chunk's
// CRC so a damaged length cannot make it misread the file. An unknown
// critical chunk (upper-case first letter) cannot be dropped safely and
// makes the file unstrippable.
func stripPNG(raw []byte) ([]byte, int, error) {
	if len(raw) < len(pngSignature) || string(raw[:len(pngSignature)]) != pngSignature {
		return nil, 1, errUnstrippable
	}
	out := make([]byte, 0, len(raw))
	out = append(out, pngSignature...)
	orientation := 1
	for i := len(pngSignature); ; {
		if i+12 > len(raw) {
			return nil, 1, errUnstrippable
		}
		n := binary.BigEndian.Uint32(raw[i:])
		if uint64(n) > uint64(len(raw)-i-12) {
			return nil, 1, errUnstrippable
		}
		end := i + 12 + int(n)
		typ, data := string(raw[i+4:i+8]), raw[i+8:end-4]
		if crc32.ChecksumIEEE(raw[i+4:end-4]) != binary.BigEndian.Uint32(raw[end-4:]) {
			return nil, 1, errUnstrippable
		}
		switch {
		case typ == "eXIf":
			if orientation == 1 {
				orientation = tiffOrientation(bytes.TrimPrefix(data, []byte("Exif\x00\x00")))
			}
		case keptPNGChunks[typ]:
			out = append(out, raw[i:end]...)
		case typ[0]&0x20 == 0: // critical and unknown
			return nil, 1, errUnstrippable
		}
		if typ == "IEND" {
			return out, orientation, nil
		}
		i = end
	}
}

// WebP: https://developers.google.com/speed/webp/docs/riff_container.

// VP8X flags for the metadata chunks, cleared once the chunks are gone.
const (
	webpFlagEXIF = 0x08
	webpFlagXMP  = 0x04
)

// stripWebP keeps the image chunks (VP8X, ICCP, ALPH, VP8, VP8L) and drops
// EXIF, XMP and unknown chunks, then rewrites the RIFF size. Animation
// (ANIM, ANMF) is refused, as x/image/webp refuses it.
func stripWebP(raw []byte) ([]byte, int, error) {
	if len(raw) < 12 || string(raw[:4]) != "RIFF" || string(raw[8:12]) != "WEBP" {
		return nil, 1, errUnstrippable
	}
	size := binary.LittleEndian.Uint32(raw[4:])
	if size < 4 || uint64(size) > uint64(len(raw)-8) {
		return nil, 1, errUnstrippable
	}
	body := raw[12 : 8+int(size)] // bytes past the RIFF size are dropped
	out := make([]byte, 12, len(raw))
	copy(out, raw[:12])
	orientation := 1
	vp8x := -1
	for i := 0; i < len(body); {
		if i+8 > len(body) {
			return nil, 1, errUnstrippable
		}
		n := binary.LittleEndian.Uint32(body[i+4:])
		if uint64(n) > uint64(len(body)-i-8) {
			return nil, 1, errUnstrippable
		}
		end := i + 8 + int(n)
		fourcc, data := string(body[i:i+4]), body[i+8:end]
		if n%2 == 1 && end < len(body) { // chunks are padded to even size
			end++
		}
		switch fourcc {
		case "VP8X":
			if len(data) < 10 || vp8x >= 0 {
				return nil, 1, errUnstrippable
			}
			vp8x = len(out) + 8
			out = append(out, body[i:end]...)
		case "ICCP", "ALPH", "VP8 ", "VP8L":
			out = append(out, body[i:end]...)
		case "EXIF":
			if orientation == 1 {
				orientation = tiffOrientation(bytes.TrimPrefix(data, []byte("Exif\x00\x00")))
			}
		case "ANIM", "ANMF":
			return nil, 1, errUnstrippable
		}
		i = end
	}
	if vp8x >= 0 {
		out[vp8x] &^= webpFlagEXIF | webpFlagXMP
	}
	if uint64(len(out)-8) > 0xFFFFFFFF {
		return nil, 1, errUnstrippable
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out, orientation, nil
}
