"""xml.etree: build a document tree (expat underneath calls PyMem_RawMalloc), serialize, parse, query."""
import xml.etree.ElementTree as ET


def run(scale):
    total = 0
    for r in range(2 * scale):
        root = ET.Element("catalog", version="1")
        for i in range(1500):
            item = ET.SubElement(root, "item", id=str(i), kind="k%d" % (i % 9))
            ET.SubElement(item, "name").text = "name %d" % i
            ET.SubElement(item, "price").text = "%d.%02d" % (i, i % 100)
        text = ET.tostring(root)
        back = ET.fromstring(text)
        total += len(text) + len(back.findall("./item[@kind='k3']"))
    return total
